using System.CommandLine;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Models;

namespace DeepGpu.Cli;

/// <summary>The options that choose a network: a preset or a JSON spec file, and the mlp's shape.</summary>
internal sealed class NetworkOptions
{
    public static readonly string[] Activations = ["relu", "sigmoid", "tanh"];

    public Option<string> Model { get; } = new("--model")
    {
        HelpName = "NAME|FILE",
        Description = $"{string.Join(", ", Networks.Names)}, or a JSON network spec file",
        DefaultValueFactory = _ => "two-layer",
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            if (!Networks.Names.Contains(text) && !text.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                r.AddError($"--model must be one of {string.Join(", ", Networks.Names)} or a .json network spec file, not '{text}'.");
            }
            return text;
        },
    };

    public Option<int[]?> Hidden { get; } = CliOptions.IntList("--hidden", "100,100", "mlp hidden layer sizes (default 100,100)");

    public Option<string> Activation { get; } = CliOptions.Choice("--activation", "relu", Activations, "mlp activation", "A");

    public Option<WeightInit?> Init { get; } = new("--init")
    {
        HelpName = "I",
        Description = "mlp weight init: std, xavier, he or a number, the std (default: he for relu, xavier otherwise)",
        CustomParser = r =>
        {
            try
            {
                return WeightInit.Parse(r.Tokens[^1].Value);
            }
            catch (DeepGpuException e)
            {
                r.AddError(e.Message);
                return null;
            }
        },
    };

    public Option<bool> BatchNorm { get; } = CliOptions.Flag("--batchnorm", "mlp: batch normalisation after each hidden affine layer");

    public Option<float> Dropout { get; } = CliOptions.FloatInRange("--dropout", 0f, 0f, 1f, "mlp: dropout ratio after each hidden activation", "R");

    public IEnumerable<Option> All => [Model, Hidden, Activation, Init, BatchNorm, Dropout];

    private IEnumerable<Option> MlpOnly => [Hidden, Activation, Init, BatchNorm, Dropout];

    /// <summary>The mlp-only options are refused for other presets rather than silently ignored.</summary>
    public void Validate(ParseResult parse)
    {
        var model = parse.GetValue(Model)!;
        var given = MlpOnly.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (model != "mlp" && given.Count > 0)
        {
            throw new UsageException($"{string.Join(", ", given)} {(given.Count == 1 ? "applies" : "apply")} only to --model mlp, not {model}.");
        }
    }

    /// <summary>The network named by --model with the mlp options applied.</summary>
    public NetworkSpec Build(ParseResult parse, int[] input, int classes)
    {
        var model = parse.GetValue(Model)!;
        switch (model)
        {
            case "two-layer": return Networks.TwoLayer(classes: classes) with { Input = input };
            case "simple-convnet": return Networks.SimpleConvNet(classes) with { Input = input };
            case "deep-convnet": return Networks.DeepConvNet(classes) with { Input = input };
            case "mlp":
                var activation = parse.GetValue(Activation) switch
                {
                    "sigmoid" => Backends.Activation.Sigmoid,
                    "tanh" => Backends.Activation.Tanh,
                    _ => Backends.Activation.Relu,
                };
                // An absent list option parses as an empty list, which would be an mlp with no hidden layer.
                var hidden = parse.GetResult(Hidden) is { Implicit: false } ? parse.GetValue(Hidden)! : [100, 100];
                return Networks.Mlp(hidden, activation, parse.GetValue(Init), parse.GetValue(BatchNorm),
                    parse.GetValue(Dropout), classes, input);
        }
        if (!File.Exists(model)) throw new DeepGpuException($"Network spec file {model} does not exist.");
        var spec = NetworkSpec.FromJson(File.ReadAllText(model), model, input);
        return spec with { Classes = classes };
    }
}
