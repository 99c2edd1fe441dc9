using DeepGpu.Backends.Cpu;
using DeepGpu.Imaging;

namespace DeepGpu.Models;

public sealed partial class Model
{
    private IDisposable? _ownedBackend;

    /// <summary>Loads a model file onto the managed CPU backend, which the model then owns.</summary>
    public static Model Load(string path)
    {
        var backend = new CpuBackend();
        try
        {
            var model = Load(path, backend);
            model._ownedBackend = backend;
            return model;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The class of one prepared input (<see cref="Graph.Network.InputShape"/> floats in [0, 1]).</summary>
    public Prediction Classify(ReadOnlySpan<float> input) => Prediction.From(Predict(input), LabelOf, OutputsScores);

    /// <summary>True for a squared-error network: its outputs are scores, not probabilities.</summary>
    public bool OutputsScores => Network.Loss is Layers.MeanSquaredErrorLayer;

    /// <summary>Classes of several prepared inputs, in one batch.</summary>
    public IReadOnlyList<Prediction> Classify(IReadOnlyList<float[]> inputs)
    {
        if (inputs.Count == 0) return [];
        var all = Predict(inputs.SelectMany(x => x).ToArray());
        var classes = Network.Classes;
        return Enumerable.Range(0, inputs.Count).Select(i => Prediction.From(all[(i * classes)..((i + 1) * classes)], LabelOf, OutputsScores)).ToList();
    }

    /// <summary>
    /// The digit in a picture file (PNG, JPEG, BMP, GIF, TIFF, WebP), prepared the way MNIST digits were
    /// (<see cref="DigitImage.Preprocess(string, PreprocessOptions?)"/>).
    /// </summary>
    public Prediction Predict(string picturePath) => Predict(DigitImage.Preprocess(picturePath));

    /// <summary>The digit in a picture read from a stream; <paramref name="name"/> names it in messages.</summary>
    public Prediction Predict(Stream picture, string name) => Predict(DigitImage.Preprocess(picture, name));

    /// <summary>The digit in an already prepared picture; "no digit found" when it was blank.</summary>
    public Prediction Predict(PreprocessResult picture)
    {
        CheckDigitInput();
        return picture.Found ? Classify(picture.Pixels) : Prediction.NothingFound(Network.Classes);
    }

    private void CheckDigitInput()
    {
        if (Network.InputShape.Size != DigitImage.PixelCount)
        {
            throw new DeepGpuException($"This model takes {Network.InputShape} inputs, but pictures are prepared as 28x28 digits.");
        }
    }
}
