using System.Text.Json;

namespace DeepGpu.Tests.Cpu;

/// <summary>One file of Engine.Tests/Golden (format: Engine.Tests/Golden/README.md).</summary>
internal sealed class Golden
{
    private readonly JsonElement root;

    private Golden(JsonElement root) => this.root = root;

    public static Golden Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return new Golden(document.RootElement.Clone());
    }

    public double Param(string name) => root.GetProperty("params").GetProperty(name).GetDouble();

    public string Text(string name) => root.GetProperty("params").GetProperty(name).GetString()!;

    public float[] Input(string name) => Data(root.GetProperty("inputs").GetProperty(name));

    public float[] Output(string name) => Data(root.GetProperty("outputs").GetProperty(name));

    public int[] Shape(string name)
    {
        var section = root.GetProperty("inputs").TryGetProperty(name, out var e) ? e : root.GetProperty("outputs").GetProperty(name);
        return section.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
    }

    private static float[] Data(JsonElement e) => e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
}
