using DeepGpu.Data;
using DeepGpu.Training;

namespace DeepGpu.Models;

/// <summary>Precision and recall of one class.</summary>
/// <param name="Label">The class's label.</param>
/// <param name="Precision">Of the samples predicted as this class, the share that are it (0 when none were predicted).</param>
/// <param name="Recall">Of the samples of this class, the share predicted as it (0 when there are none).</param>
/// <param name="Support">How many samples of this class there are.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, int Support);

/// <summary>A sample the model got wrong.</summary>
/// <param name="Index">Its index in the data set.</param>
/// <param name="TrueClass">Its label.</param>
/// <param name="PredictedClass">The class the model chose.</param>
/// <param name="Probability">The probability the model gave its choice.</param>
public sealed record Misclassified(int Index, int TrueClass, int PredictedClass, float Probability);

/// <summary>
/// How well a model classifies a data set: accuracy, cross-entropy loss, per-class precision and recall, the
/// confusion matrix and the samples it got wrong (book ch.8's misclassified digits).
/// </summary>
public sealed class Evaluation
{
    private Evaluation(int count, int classes, IReadOnlyList<string> labels, double loss, int[,] confusion, IReadOnlyList<Misclassified> mistakes)
    {
        Count = count;
        Classes = classes;
        Labels = labels;
        Loss = loss;
        Confusion = confusion;
        Misclassified = mistakes;
        var correct = 0;
        for (var c = 0; c < classes; c++) correct += confusion[c, c];
        Accuracy = count == 0 ? 0 : (double)correct / count;
        var perClass = new List<ClassMetrics>();
        for (var c = 0; c < classes; c++)
        {
            int predicted = 0, actual = 0;
            for (var o = 0; o < classes; o++)
            {
                predicted += confusion[o, c];
                actual += confusion[c, o];
            }
            perClass.Add(new ClassMetrics(labels[c], predicted == 0 ? 0 : (double)confusion[c, c] / predicted, actual == 0 ? 0 : (double)confusion[c, c] / actual, actual));
        }
        PerClass = perClass;
    }

    /// <summary>Number of samples scored.</summary>
    public int Count { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Class labels, in class order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Share of samples whose most probable class is their label.</summary>
    public double Accuracy { get; }

    /// <summary>
    /// The model's own loss: mean cross-entropy −log(p[label] + 1e-7) as the book's cross_entropy_error, or for a
    /// squared-error network its 0.5·Σ(y − t)² per sample.
    /// </summary>
    public double Loss { get; }

    /// <summary>Counts [true class, predicted class].</summary>
    public int[,] Confusion { get; }

    /// <summary>Precision and recall per class, in class order.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>The samples predicted wrong, in data set order.</summary>
    public IReadOnlyList<Misclassified> Misclassified { get; }

    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="data"/>: predicts the normalised images in chunks of
    /// <paramref name="batch"/> and compares the most probable class with each label.
    /// </summary>
    /// <exception cref="DeepGpuException">The data's samples do not fit the model's input, or its classes do not.</exception>
    public static Evaluation Run(Model model, Dataset data, int batch = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var size = model.Network.InputShape.Size;
        if (data.SampleShape.Size != size)
        {
            throw new DeepGpuException($"The data's samples are {data.SampleShape} but the model takes {model.Network.InputShape}.");
        }
        var classes = model.Network.Classes;
        if (data.Classes > classes)
        {
            throw new DeepGpuException($"The data has {data.Classes} classes but the model knows only {classes}.");
        }
        if (data.Count == 0) throw new DeepGpuException($"{data.Source} holds no samples to evaluate.");
        var probabilities = new float[(long)data.Count * classes];
        for (var start = 0; start < data.Count; start += batch)
        {
            var n = Math.Min(batch, data.Count - start);
            var inputs = data.Slice(start, n).ToFloat(normalize: true);
            model.Predict(inputs).CopyTo(probabilities, (long)start * classes);
        }
        var truth = data.Labels.Select(l => (int)l).ToArray();
        // A squared-error network outputs scores, not probabilities: its loss is the one it trains on.
        double? loss = model.Network.Loss is Layers.MeanSquaredErrorLayer ? model.Evaluate(data, batch).Loss : null;
        return FromPredictions(truth, probabilities, classes, Enumerable.Range(0, classes).Select(model.LabelOf).ToList(), loss);
    }

    /// <summary>The evaluation of given predictions: <paramref name="probabilities"/> [count, classes] row-major against <paramref name="truth"/>.</summary>
    internal static Evaluation FromPredictions(int[] truth, float[] probabilities, int classes, IReadOnlyList<string>? labels = null, double? knownLoss = null)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (probabilities.Length != (long)truth.Length * classes)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities are not {truth.Length} rows of {classes}.", nameof(probabilities));
        }
        labels ??= Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var confusion = new int[classes, classes];
        var mistakes = new List<Misclassified>();
        double loss = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            var row = probabilities.AsSpan(i * classes, classes);
            var label = truth[i];
            if ((uint)label >= (uint)classes) throw new ArgumentException($"Label {label} at index {i} is not below {classes}.", nameof(truth));
            var predicted = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[predicted]) predicted = c;
            }
            confusion[label, predicted]++;
            loss -= Math.Log(row[label] + 1e-7);
            if (predicted != label) mistakes.Add(new Misclassified(i, label, predicted, row[predicted]));
        }
        return new Evaluation(truth.Length, classes, labels, knownLoss ?? (truth.Length == 0 ? 0 : loss / truth.Length), confusion, mistakes);
    }
}
