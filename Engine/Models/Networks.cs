using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Layers;

namespace DeepGpu.Models;

/// <summary>The book's networks as specs, for 1x28x28 inputs and 10 classes unless told otherwise.</summary>
public static class Networks
{
    /// <summary>The preset names the CLI accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["two-layer", "mlp", "simple-convnet", "deep-convnet"];

    /// <summary>Ch.5 TwoLayerNet: Affine-Relu-Affine-SoftmaxWithLoss, 784-50-10, weights 0.01·N(0,1).</summary>
    public static NetworkSpec TwoLayer(int hidden = 50, int classes = 10) => new(
        [1, 28, 28],
        [new AffineSpec(hidden), new ReluSpec(), new AffineSpec(classes), new SoftmaxWithLossSpec()],
        classes) { Name = "two-layer" };

    /// <summary>
    /// Ch.6 MultiLayerNet(Extend): per hidden layer Affine → [BatchNorm] → activation → [Dropout], then Affine →
    /// SoftmaxWithLoss. Init defaults to He for Relu and Xavier otherwise, as the book does.
    /// </summary>
    public static NetworkSpec Mlp(IReadOnlyList<int> hidden, Activation activation = Activation.Relu, WeightInit? init = null,
        bool batchNorm = false, float dropout = 0f, int classes = 10, int[]? input = null)
    {
        var w = init ?? (activation == Activation.Relu ? WeightInit.He : WeightInit.Xavier);
        var layers = new List<LayerSpec>();
        foreach (var size in hidden)
        {
            layers.Add(new AffineSpec(size) { Init = w });
            if (batchNorm) layers.Add(new BatchNormalizationSpec());
            layers.Add(activation switch
            {
                Activation.Relu => new ReluSpec(),
                Activation.Sigmoid => new SigmoidSpec(),
                _ => new TanhSpec(),
            });
            if (dropout > 0) layers.Add(new DropoutSpec(dropout));
        }
        layers.Add(new AffineSpec(classes) { Init = w });
        layers.Add(new SoftmaxWithLossSpec());
        return new NetworkSpec(input ?? [1, 28, 28], layers, classes) { Name = "mlp" };
    }

    /// <summary>
    /// Ch.7 SimpleConvNet: conv 30@5x5 - Relu - max pool 2x2/2 - Affine 4320-100 - Relu - Affine 100-10 -
    /// SoftmaxWithLoss, all weights 0.01·N(0,1).
    /// </summary>
    public static NetworkSpec SimpleConvNet(int classes = 10) => new(
        [1, 28, 28],
        [
            new ConvolutionSpec(30, 5), new ReluSpec(), new PoolingSpec(2, 2),
            new AffineSpec(100), new ReluSpec(), new AffineSpec(classes), new SoftmaxWithLossSpec(),
        ],
        classes) { Name = "simple-convnet" };

    /// <summary>
    /// Ch.8 DeepConvNet: 3x3 convs 16,16 | pool | 32, 32 (pad 2) | pool | 64, 64 | pool, Relu after each;
    /// Affine 1024-50 - Relu - Dropout 0.5 - Affine 50-10 - Dropout 0.5 - SoftmaxWithLoss; He init.
    /// </summary>
    public static NetworkSpec DeepConvNet(int classes = 10)
    {
        static ConvolutionSpec Conv(int filters, int pad = 1) => new(filters, 3, 1, pad) { Init = WeightInit.He };
        return new NetworkSpec(
            [1, 28, 28],
            [
                Conv(16), new ReluSpec(), Conv(16), new ReluSpec(), new PoolingSpec(2, 2),
                Conv(32), new ReluSpec(), Conv(32, pad: 2), new ReluSpec(), new PoolingSpec(2, 2),
                Conv(64), new ReluSpec(), Conv(64), new ReluSpec(), new PoolingSpec(2, 2),
                new AffineSpec(50) { Init = WeightInit.He }, new ReluSpec(), new DropoutSpec(0.5f),
                new AffineSpec(classes) { Init = WeightInit.He }, new DropoutSpec(0.5f), new SoftmaxWithLossSpec(),
            ],
            classes) { Name = "deep-convnet" };
    }

    /// <summary>The optimizer and learning rate each preset trains with in the book.</summary>
    public static (string Optimizer, float LearningRate) DefaultOptimizer(string preset) => preset switch
    {
        "simple-convnet" or "deep-convnet" => ("adam", 0.001f),
        _ => ("sgd", 0.1f),
    };
}
