using System.Globalization;

namespace DeepGpu.Models;

/// <summary>One class and its probability (or, for a squared-error network, its raw score).</summary>
public readonly record struct ClassProbability(string Label, float Probability, bool IsScore = false)
{
    public override string ToString() => IsScore
        ? $"{Label} (score {Probability.ToString("0.###", CultureInfo.InvariantCulture)})"
        : $"{Label} ({Probability.ToString("P1", CultureInfo.InvariantCulture).Replace(" ", "")})";
}

/// <summary>
/// What the network says about one input: the most likely class and its probability, the best three, and
/// every class's probability. <see cref="Found"/> is false when a picture held no digit (then there is no label).
/// </summary>
public sealed record Prediction(bool Found, float[] Probabilities, IReadOnlyList<ClassProbability> Top)
{
    /// <summary>The most likely class's label, or null when no digit was found.</summary>
    public string? Label => Found ? Top[0].Label : null;

    /// <summary>The most likely class's probability (0 when no digit was found).</summary>
    public float Probability => Found ? Top[0].Probability : 0f;

    /// <summary>"5 (71.3%), 3 (20.1%), 8 (4.2%)", or "no digit found".</summary>
    public override string ToString() => Found ? string.Join(", ", Top) : "no digit found";

    /// <summary>False for a squared-error network, whose outputs are scores rather than probabilities.</summary>
    public bool IsProbability => Top.Count == 0 || !Top[0].IsScore;

    internal static Prediction From(float[] probabilities, Func<int, string> label, bool scores = false, int top = 3)
    {
        var best = probabilities.Select((p, i) => new ClassProbability(label(i), p, scores))
            .OrderByDescending(c => c.Probability).Take(top).ToList();
        return new Prediction(true, probabilities, best);
    }

    internal static Prediction NothingFound(int classes) => new(false, new float[classes], []);
}
