using System.Globalization;

namespace DeepGpu.Cli;

/// <summary>A command-line mistake: printed with the command's usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parsed arguments of one command: <c>--name value</c>, <c>--name=value</c>, <c>--flag</c> and positionals.
/// Options are checked against the command's list, so a misspelt option is an error, not ignored.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = [];
    private readonly HashSet<string> _flags = [];

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flagOptions)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                Positionals.Add(arg);
                continue;
            }
            var name = arg[2..];
            string? inline = null;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }
            if (flagOptions.Contains(name))
            {
                if (inline is not null) throw new UsageException($"Option --{name} takes no value.");
                _flags.Add(name);
            }
            else if (valueOptions.Contains(name))
            {
                var value = inline ?? (i + 1 < list.Count ? list[++i] : throw new UsageException($"Option --{name} needs a value."));
                if (!_values.TryGetValue(name, out var values)) _values[name] = values = [];
                values.Add(value);
            }
            else
            {
                throw new UsageException($"Unknown option --{name}.");
            }
        }
    }

    public List<string> Positionals { get; } = [];

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name) => _values.TryGetValue(name, out var v) ? v[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var v) ? v : [];

    public string Text(string name, string fallback) => Value(name) ?? fallback;

    public int PositiveInt(string name, int fallback)
    {
        var text = Value(name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new UsageException($"--{name} must be a positive whole number, not '{text}'.");
    }

    public ulong Seed(string name, ulong fallback)
    {
        var text = Value(name);
        if (text is null) return fallback;
        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"--{name} must be a whole number of 0 or more, not '{text}'.");
    }

    public float? PositiveFloat(string name)
    {
        var text = Value(name);
        if (text is null) return null;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && float.IsFinite(v)
            ? v
            : throw new UsageException($"--{name} must be a positive number, not '{text}'.");
    }

    /// <summary>A number in [min, max).</summary>
    public float FloatInRange(string name, float fallback, float min, float max)
    {
        var text = Value(name);
        if (text is null) return fallback;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v < max
            ? v
            : throw new UsageException($"--{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} up to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
    }

    public string Choice(string name, string fallback, IReadOnlyList<string> choices)
    {
        var text = Value(name) ?? fallback;
        return choices.Contains(text) ? text : throw new UsageException($"--{name} must be one of {string.Join(", ", choices)}, not '{text}'.");
    }

    public int[] IntList(string name, int[] fallback)
    {
        var text = Value(name);
        if (text is null) return fallback;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] <= 0)
            {
                throw new UsageException($"--{name} must be a comma-separated list of positive whole numbers, such as 100,100, not '{text}'.");
            }
        }
        return result;
    }
}
