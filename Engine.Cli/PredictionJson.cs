using System.Text;
using System.Text.Json;
using DeepGpu.Models;

namespace DeepGpu.Cli;

/// <summary>
/// The JSON shape of one prediction, shared by <c>predict --json</c> and <c>serve</c>: label, probability and
/// the top three. A squared-error network's outputs are scores: they are named so, never passed off as probabilities.
/// </summary>
internal static class PredictionJson
{
    /// <summary>One JSON object: file (when given), label, probability (or score), top.</summary>
    public static string Line(string? file, Prediction prediction)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteFields(writer, file, prediction);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the fields into an object the caller has opened, so it may add its own.</summary>
    public static void WriteFields(Utf8JsonWriter writer, string? file, Prediction prediction)
    {
        var value = prediction.IsProbability ? "probability" : "score";
        if (file is not null) writer.WriteString("file", file);
        if (prediction.Label is null) writer.WriteNull("label");
        else writer.WriteString("label", prediction.Label);
        writer.WriteNumber(value, prediction.Probability);
        writer.WriteStartArray("top");
        foreach (var t in prediction.Top)
        {
            writer.WriteStartObject();
            writer.WriteString("label", t.Label);
            writer.WriteNumber(value, t.Probability);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
