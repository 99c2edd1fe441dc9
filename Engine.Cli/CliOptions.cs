using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DeepGpu.Backends;

namespace DeepGpu.Cli;

/// <summary>
/// Options shared by the commands and the value rules they check while parsing, so that a bad value is a usage
/// mistake before any work starts. Each rule's sentence says what the option takes and what it got.
/// </summary>
internal static class CliOptions
{
    private delegate bool TryParse<T>(string text, out T value);

    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    /// <summary>An option whose value must satisfy <paramref name="parse"/>; otherwise "NAME must be RULE, not 'TEXT'.".</summary>
    private static Option<T> Checked<T>(string name, string helpName, string description, TryParse<T> parse, string rule)
    {
        return new Option<T>(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0) return default!;
                var text = r.Tokens[^1].Value;
                if (parse(text, out var value)) return value;
                r.AddError($"{name} must be {rule}, not '{text}'.");
                return default!;
            },
        };
    }

    private static Option<T> WithDefault<T>(this Option<T> option, T fallback)
    {
        option.DefaultValueFactory = _ => fallback;
        return option;
    }

    private const string PositiveWhole = "a positive whole number";

    private static bool TryPositiveInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, _invariant, out value) && value > 0;

    private static bool TryPositiveFloat(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, _invariant, out value) && value > 0 && float.IsFinite(value);

    /// <summary>The parse as a nullable value: absent stays null.</summary>
    private static TryParse<T?> Nullable<T>(TryParse<T> parse) where T : struct => (string text, out T? value) =>
    {
        var ok = parse(text, out var v);
        value = ok ? v : null;
        return ok;
    };

    public static Option<int> PositiveInt(string name, int fallback, string description, string helpName = "N") =>
        Checked<int>(name, helpName, description, TryPositiveInt, PositiveWhole).WithDefault(fallback);

    /// <summary>A positive whole number, or null when not given.</summary>
    public static Option<int?> OptionalPositiveInt(string name, string description, string helpName = "N") =>
        Checked(name, helpName, description, Nullable<int>(TryPositiveInt), PositiveWhole);

    public static Option<ulong> Seed(string description) =>
        Checked<ulong>("--seed", "N", description, (string t, out ulong v) => ulong.TryParse(t, NumberStyles.Integer, _invariant, out v),
            "a whole number of 0 or more").WithDefault(1UL);

    /// <summary>A positive finite number, or null when not given.</summary>
    public static Option<float?> PositiveFloat(string name, string description, string helpName = "X") =>
        Checked(name, helpName, description, Nullable<float>(TryPositiveFloat), "a positive number");

    /// <summary>A number in [min, max).</summary>
    public static Option<float> FloatInRange(string name, float fallback, float min, float max, string description, string helpName = "X") =>
        Checked<float>(name, helpName, description, (string t, out float v) => float.TryParse(t, NumberStyles.Float, _invariant, out v) && v >= min && v < max,
            $"a number from {min.ToString(_invariant)} up to {max.ToString(_invariant)}").WithDefault(fallback);

    public static Option<string> Choice(string name, string fallback, IReadOnlyList<string> choices, string description, string helpName)
    {
        var option = Checked<string>(name, helpName, description, (string t, out string v) => choices.Contains(v = t), $"one of {string.Join(", ", choices)}")
            .WithDefault(fallback);
        option.CompletionSources.Add(choices.ToArray());
        return option;
    }

    /// <summary>Comma-separated positive whole numbers such as <paramref name="example"/>, or null when not given.</summary>
    public static Option<int[]?> IntList(string name, string example, string description) =>
        Checked<int[]?>(name, example, description, (string t, out int[]? v) =>
        {
            var parts = t.Split(',', StringSplitOptions.TrimEntries);
            v = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!TryPositiveInt(parts[i], out v[i])) return false;
            }
            return true;
        }, $"a comma-separated list of positive whole numbers, such as {example}");

    public static Option<string> Backend(string fallback = "auto") =>
        Choice("--backend", fallback, BackendFactory.Names, "the backend: auto picks CUDA, then an OpenCL GPU, then cpu", "B");

    public static Option<string?> Data() => new("--data")
    {
        HelpName = "DIR",
        Description = "MNIST-format IDX folder (default: $DEEPGPU_DATA, ~/.cache/deepgpu/mnist, then the embedded sample)",
    };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    public static Option<string?> Path(string name, string helpName, string description) => new(name) { HelpName = helpName, Description = description };
}
