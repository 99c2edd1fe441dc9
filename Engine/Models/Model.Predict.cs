using DeepGpu.Backends;

namespace DeepGpu.Models;

public sealed partial class Model
{
    private IDisposable? _ownedBackend;

    /// <summary>Loads a model file onto the default cpu backend, which the model then owns.</summary>
    public static Model Load(string path)
    {
        var backend = BackendFactory.Create("cpu");
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
}
