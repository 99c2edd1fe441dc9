using System.Text.Json;
using System.Text.Json.Serialization;
using DeepGpu.Layers;
using DeepGpu.Tensors;

namespace DeepGpu.Graph;

/// <summary>
/// A network as data: the shape of one input sample, the number of classes and the layers in order, the last
/// being a loss layer. Presets, spec files and model files all hold one of these.
/// </summary>
public sealed record NetworkSpec
{
    public NetworkSpec(int[] input, IReadOnlyList<LayerSpec> layers, int classes = 10)
    {
        Input = input;
        Layers = layers;
        Classes = classes;
    }

    /// <summary>Shape of one input sample, e.g. [1, 28, 28].</summary>
    public int[] Input { get; init; }

    public IReadOnlyList<LayerSpec> Layers { get; init; }

    public int Classes { get; init; }

    /// <summary>A name for the network (the preset it came from), shown in logs and stored in model files.</summary>
    public string? Name { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        // A misspelt option must not be silently ignored.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = false,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads a spec: either a whole object {"input": [...], "layers": [...]} or just a JSON list of layers, whose
    /// input shape is then <paramref name="defaultInput"/>.
    /// </summary>
    public static NetworkSpec FromJson(string json, string source, int[]? defaultInput = null)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
            {
                var layers = doc.RootElement.Deserialize<List<LayerSpec>>(Json) ?? [];
                return new NetworkSpec(defaultInput ?? [1, 28, 28], layers) { Name = Path.GetFileNameWithoutExtension(source) };
            }
            var spec = doc.RootElement.Deserialize<NetworkSpec>(Json) ?? throw new JsonException("empty");
            return spec.Layers is null || spec.Input is null ? throw new JsonException("it needs 'input' and 'layers'") : spec;
        }
        catch (JsonException e)
        {
            throw new DeepGpuException($"Network spec {source} is not valid: {FirstSentence(e.Message)}");
        }
        catch (NotSupportedException e)
        {
            throw new DeepGpuException($"Network spec {source} is not valid: {FirstSentence(e.Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        var unknown = System.Text.RegularExpressions.Regex.Match(message, "The JSON property '([^']+)' could not be mapped");
        if (unknown.Success) return $"'{unknown.Groups[1].Value}' is not an option of that layer (or of the spec).";
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        var s = cut > 0 ? message[..cut] : message.TrimEnd('.');
        return s.Contains("type discriminator", StringComparison.OrdinalIgnoreCase) || s.Contains("'type'", StringComparison.Ordinal)
            ? "a layer has a missing or unknown \"type\" (known: affine, relu, sigmoid, tanh, convolution, pooling, flatten, batchnorm, dropout, softmax-with-loss, mean-squared-error)."
            : s + ".";
    }
}
