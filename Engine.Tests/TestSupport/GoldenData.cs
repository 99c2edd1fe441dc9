using System.Text.Json;

namespace DeepGpu.Tests.TestSupport;

/// <summary>A tensor of a golden file: its shape and row-major values (float64 in the file).</summary>
public sealed record GoldenTensor(int[] Shape, double[] Data)
{
    public float[] Floats => Array.ConvertAll(Data, d => (float)d);
    public int[] Ints => Array.ConvertAll(Data, d => (int)Math.Round(d));
    public int Dim(int i) => Shape[i];
}

/// <summary>
/// One golden-value file of Engine.Tests/Golden (see its README): op, params, inputs and outputs, computed
/// outside DeepGpu in float64.
/// </summary>
public sealed class GoldenData
{
    private GoldenData(string op, JsonElement parameters, Dictionary<string, GoldenTensor> inputs, Dictionary<string, GoldenTensor> outputs)
    {
        Op = op;
        Params = parameters;
        Inputs = inputs;
        Outputs = outputs;
    }

    public string Op { get; }
    public JsonElement Params { get; }
    public IReadOnlyDictionary<string, GoldenTensor> Inputs { get; }
    public IReadOnlyDictionary<string, GoldenTensor> Outputs { get; }

    public GoldenTensor In(string name) => Inputs.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"Golden input '{name}' missing.");
    public GoldenTensor Out(string name) => Outputs.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"Golden output '{name}' missing.");

    public float Param(string name) => (float)Params.GetProperty(name).GetDouble();
    public int IntParam(string name) => Params.GetProperty(name).GetInt32();
    public string StringParam(string name) => Params.GetProperty(name).GetString() ?? "";

    /// <summary>Loads Golden/<paramref name="name"/>.json from the test output folder.</summary>
    public static GoldenData Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return new GoldenData(root.GetProperty("op").GetString() ?? "", root.GetProperty("params").Clone(),
            Tensors(root.GetProperty("inputs")), Tensors(root.GetProperty("outputs")));
    }

    private static Dictionary<string, GoldenTensor> Tensors(JsonElement map)
    {
        var result = new Dictionary<string, GoldenTensor>();
        foreach (var p in map.EnumerateObject())
        {
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var data = Flatten(p.Value.GetProperty("data")).ToArray();
            result[p.Name] = new GoldenTensor(shape, data);
        }
        return result;
    }

    private static IEnumerable<double> Flatten(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                foreach (var v in Flatten(item)) yield return v;
            }
        }
        else
        {
            yield return e.GetDouble();
        }
    }
}
