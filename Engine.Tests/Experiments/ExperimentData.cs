using DeepGpu.Data;

namespace DeepGpu.Tests.Experiments;

/// <summary>The embedded MNIST sample, loaded once for the experiment tests (9000 training, 1000 held out).</summary>
internal static class ExperimentData
{
    private static readonly Lazy<MnistData> _sample = new(() => Mnist.LoadEmbeddedSample());

    public static Dataset Train => _sample.Value.Train;
    public static Dataset Test => _sample.Value.Test;
}
