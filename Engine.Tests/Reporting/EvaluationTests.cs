using DeepGpu.Models;

namespace DeepGpu.Tests.Reporting;

/// <summary>Evaluation metrics checked against a small case worked by hand.</summary>
public sealed class EvaluationTests
{
    [Fact]
    public void Metrics_match_a_hand_computed_case()
    {
        // Six samples, three classes. Argmax per row: 0, 1, 1, 2, 0, 2.
        int[] truth = [0, 0, 1, 2, 2, 1];
        float[] p =
        [
            0.7f, 0.2f, 0.1f,
            0.3f, 0.6f, 0.1f,
            0.1f, 0.8f, 0.1f,
            0.2f, 0.2f, 0.6f,
            0.5f, 0.1f, 0.4f,
            0.1f, 0.3f, 0.6f,
        ];
        var e = Evaluation.FromPredictions(truth, p, 3, ["a", "b", "c"]);

        Assert.Equal(6, e.Count);
        Assert.Equal(3.0 / 6, e.Accuracy, 12);
        // Confusion [true, predicted]: row a: a1 b1; row b: b1 c1; row c: a1 c1.
        Assert.Equal(new[,] { { 1, 1, 0 }, { 0, 1, 1 }, { 1, 0, 1 } }, e.Confusion);
        // Precision = diagonal / column sum, recall = diagonal / row sum; every column and row sums to 2 here.
        Assert.All(e.PerClass, c => Assert.Equal(0.5, c.Precision, 12));
        Assert.All(e.PerClass, c => Assert.Equal(0.5, c.Recall, 12));
        Assert.Equal(["a", "b", "c"], e.PerClass.Select(c => c.Label));
        Assert.All(e.PerClass, c => Assert.Equal(2, c.Support));
        // Loss: mean of -ln(p[true] + 1e-7) over p[true] = 0.7, 0.3, 0.8, 0.6, 0.4, 0.3.
        var expected = new[] { 0.7, 0.3, 0.8, 0.6, 0.4, 0.3 }.Average(x => -Math.Log(x + 1e-7));
        Assert.Equal(expected, e.Loss, 6);
        Assert.Equal(
            [new Misclassified(1, 0, 1, 0.6f), new Misclassified(4, 2, 0, 0.5f), new Misclassified(5, 1, 2, 0.6f)],
            e.Misclassified);
    }

    [Fact]
    public void Uneven_precision_and_recall_and_a_class_never_predicted()
    {
        // Class 0 is always predicted; class 1 never is.
        int[] truth = [0, 0, 0, 1];
        float[] p = [0.9f, 0.1f, 0.8f, 0.2f, 0.6f, 0.4f, 0.7f, 0.3f];
        var e = Evaluation.FromPredictions(truth, p, 2);
        Assert.Equal(0.75, e.Accuracy, 12);
        Assert.Equal(0.75, e.PerClass[0].Precision, 12);
        Assert.Equal(1.0, e.PerClass[0].Recall, 12);
        Assert.Equal(0.0, e.PerClass[1].Precision, 12);
        Assert.Equal(0.0, e.PerClass[1].Recall, 12);
        Assert.Equal(["0", "1"], e.Labels);
        Assert.Single(e.Misclassified);
    }
}
