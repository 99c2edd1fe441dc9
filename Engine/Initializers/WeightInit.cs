using DeepGpu.Kernels;

namespace DeepGpu.Initializers;

/// <summary>How a weight tensor's initial values are drawn (book ch.6): a fixed standard deviation, Xavier or He.</summary>
public enum InitKind
{
    /// <summary>N(0, std²) with a given std (the book's weight_init_std number).</summary>
    Std,
    /// <summary>N(0, 1/n_in): the book's 'xavier' / 'sigmoid'.</summary>
    Xavier,
    /// <summary>N(0, 2/n_in): the book's 'he' / 'relu'.</summary>
    He,
}

/// <summary>A weight initialiser. Biases always start at zero.</summary>
public readonly record struct WeightInit(InitKind Kind, float Std = 0.01f)
{
    public static WeightInit Xavier => new(InitKind.Xavier);
    public static WeightInit He => new(InitKind.He);
    public static WeightInit Normal(float std) => new(InitKind.Std, std);

    /// <summary>The standard deviation for a layer whose units each see <paramref name="fanIn"/> inputs.</summary>
    public float StdFor(int fanIn) => Kind switch
    {
        InitKind.Xavier => MathF.Sqrt(1f / fanIn),
        InitKind.He => MathF.Sqrt(2f / fanIn),
        _ => Std,
    };

    /// <summary>Fills <paramref name="values"/> with N(0, std²) draws numbered from <paramref name="counter"/>.</summary>
    public void Fill(Span<float> values, int fanIn, ulong seed, ulong counter)
    {
        var std = StdFor(fanIn);
        for (var i = 0; i < values.Length; i++) values[i] = std * CounterRng.Normal(seed, counter + (ulong)i);
    }

    /// <summary>Parses std|xavier|he|a number (the std), as the CLI and the book spell them.</summary>
    public static WeightInit Parse(string text) => text.ToLowerInvariant() switch
    {
        "xavier" or "sigmoid" => Xavier,
        "he" or "relu" => He,
        "std" => Normal(0.01f),
        _ when float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var std) && std > 0 => Normal(std),
        _ => throw new DeepGpuException($"Unknown weight initialiser '{text}': use std, xavier, he or a positive number (the std)."),
    };

    public override string ToString() => Kind == InitKind.Std ? Std.ToString(System.Globalization.CultureInfo.InvariantCulture) : Kind.ToString().ToLowerInvariant();
}
