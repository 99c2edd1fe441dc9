using System.Text.Json;
using DeepGpu.Backends;

namespace DeepGpu.Cli;

/// <summary>Creates the backend a command's --backend names; for auto, says which it picked and why.</summary>
internal static class BackendChoice
{
    /// <summary>Caps the device memory a run may use (bytes, or with a K, M or G suffix): for sharing a device.</summary>
    public const string MemoryLimitVariable = "DEEPGPU_MEMORY_LIMIT";

    public static Backend Create(string name, TextWriter info)
    {
        var limit = MemoryLimit();
        if (name == "auto")
        {
            (name, var why) = BackendFactory.ChooseAuto();
            info.WriteLine($"backend: {name}, because {why}");
        }
        var backend = BackendFactory.Create(name);
        backend.MemoryLimit = limit;
        return backend;
    }

    private static long? MemoryLimit()
    {
        var text = Environment.GetEnvironmentVariable(MemoryLimitVariable)?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        var scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L };
        var digits = scale == 1 ? text : text[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / scale)
        {
            throw new DeepGpuException($"{MemoryLimitVariable} must be a number of bytes, optionally with K, M or G, not '{text}'.");
        }
        return n * scale;
    }
}

/// <summary>The JSON spelling of every --json output: camelCase names.</summary>
internal static class CliJson
{
    // A failed check's error may be NaN, written as the string "NaN" rather than failing the whole output.
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

internal static class Words
{
    /// <summary>"1 epoch", "3 epochs".</summary>
    public static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
