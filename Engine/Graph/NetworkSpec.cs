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
        // "type" may come anywhere in a layer's object, as people write JSON.
        AllowOutOfOrderMetadataProperties = true,
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
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array) CheckLayerTypes(root, source);
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("layers", out var list) && list.ValueKind == JsonValueKind.Array) CheckLayerTypes(list, source);
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

    private static readonly string[] _layerTypes =
        typeof(LayerSpec).GetCustomAttributes(typeof(JsonDerivedTypeAttribute), false).Cast<JsonDerivedTypeAttribute>().Select(a => (string)a.TypeDiscriminator!).ToArray();

    /// <summary>Names the layer (by position) whose "type" is missing or unknown, and the value it has.</summary>
    private static void CheckLayerTypes(JsonElement layers, string source)
    {
        var index = 0;
        foreach (var layer in layers.EnumerateArray())
        {
            index++;
            if (layer.ValueKind != JsonValueKind.Object) continue;
            var known = $"(known: {string.Join(", ", _layerTypes)})";
            if (!layer.TryGetProperty("type", out var type))
            {
                throw new DeepGpuException($"Network spec {source} is not valid: layer {index} has no \"type\" {known}.");
            }
            if (type.ValueKind != JsonValueKind.String || !_layerTypes.Contains(type.GetString()))
            {
                throw new DeepGpuException($"Network spec {source} is not valid: layer {index} has \"type\": {type.GetRawText()}, which is not a layer type {known}.");
            }
        }
    }

    private static string FirstSentence(string message)
    {
        var unknown = System.Text.RegularExpressions.Regex.Match(message, "The JSON property '([^']+)' could not be mapped");
        if (unknown.Success) return $"'{unknown.Groups[1].Value}' is not an option of that layer (or of the spec).";
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message.TrimEnd('.')) + ".";
    }
}
