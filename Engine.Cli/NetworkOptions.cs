using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Models;

namespace DeepGpu.Cli;

/// <summary>The options that choose a network, shared by train, tune, experiment and bench.</summary>
internal static class NetworkOptions
{
    public static readonly string[] Values = ["model", "hidden", "activation", "init", "dropout"];
    public static readonly string[] Flags = ["batchnorm"];

    public static readonly string[] Activations = ["relu", "sigmoid", "tanh"];

    /// <summary>
    /// The network named by --model (a preset or a JSON spec file) with the mlp options applied. The mlp-only
    /// options are refused for other presets rather than silently ignored.
    /// </summary>
    public static NetworkSpec Build(Arguments a, int[] input, int classes)
    {
        var model = a.Text("model", "two-layer");
        var mlpOnly = new[] { "hidden", "activation", "init", "dropout" }.Where(o => a.Value(o) is not null).Select(o => "--" + o)
            .Concat(a.Flag("batchnorm") ? ["--batchnorm"] : []).ToList();
        if (model != "mlp" && mlpOnly.Count > 0)
        {
            throw new UsageException($"{string.Join(", ", mlpOnly)} {(mlpOnly.Count == 1 ? "applies" : "apply")} only to --model mlp, not {model}.");
        }
        switch (model)
        {
            case "two-layer": return Networks.TwoLayer(classes: classes) with { Input = input };
            case "simple-convnet": return Networks.SimpleConvNet(classes) with { Input = input };
            case "deep-convnet": return Networks.DeepConvNet(classes) with { Input = input };
            case "mlp":
                var activation = a.Choice("activation", "relu", Activations) switch
                {
                    "sigmoid" => Activation.Sigmoid,
                    "tanh" => Activation.Tanh,
                    _ => Activation.Relu,
                };
                var init = a.Value("init") is { } text ? WeightInit.Parse(text) : (WeightInit?)null;
                return Networks.Mlp(a.IntList("hidden", [100, 100]), activation, init, a.Flag("batchnorm"),
                    a.FloatInRange("dropout", 0f, 0f, 1f), classes, input);
        }
        if (!model.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--model must be one of {string.Join(", ", Networks.Names)} or a .json network spec file, not '{model}'.");
        }
        if (!File.Exists(model)) throw new DeepGpuException($"Network spec file {model} does not exist.");
        var spec = NetworkSpec.FromJson(File.ReadAllText(model), model, input);
        return spec with { Classes = classes };
    }
}
