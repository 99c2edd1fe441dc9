using System.Text.Json.Serialization;
using DeepGpu.Backends;
using DeepGpu.Initializers;
using DeepGpu.Tensors;

namespace DeepGpu.Layers;

/// <summary>
/// A layer as data: what a preset lists, a spec file holds and a model file stores. <see cref="Create"/>
/// turns it into a <see cref="Layer"/> for a given input shape, checking that the shape fits.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(AffineSpec), "affine")]
[JsonDerivedType(typeof(ReluSpec), "relu")]
[JsonDerivedType(typeof(SigmoidSpec), "sigmoid")]
[JsonDerivedType(typeof(TanhSpec), "tanh")]
[JsonDerivedType(typeof(ConvolutionSpec), "convolution")]
[JsonDerivedType(typeof(PoolingSpec), "pooling")]
[JsonDerivedType(typeof(FlattenSpec), "flatten")]
[JsonDerivedType(typeof(BatchNormalizationSpec), "batchnorm")]
[JsonDerivedType(typeof(DropoutSpec), "dropout")]
[JsonDerivedType(typeof(SoftmaxWithLossSpec), "softmax-with-loss")]
[JsonDerivedType(typeof(MeanSquaredErrorSpec), "mean-squared-error")]
public abstract record LayerSpec
{
    /// <summary>The kind's short name, used to name layers ("affine1").</summary>
    [JsonIgnore]
    public abstract string Kind { get; }

    /// <summary>Creates the layer for an input of <paramref name="input"/> shape, or says why it does not fit.</summary>
    /// <param name="name">The layer's name in messages.</param>
    /// <param name="input">Shape of one input sample.</param>
    /// <param name="index">Position in the network (seeds per-layer randomness).</param>
    public abstract Layer Create(string name, Shape input, int index);
}

/// <summary>Fully connected layer with <see cref="Outputs"/> units.</summary>
public sealed record AffineSpec(int Outputs) : LayerSpec
{
    public WeightInit Init { get; init; } = WeightInit.Normal(0.01f);
    public override string Kind => "affine";
    public override Layer Create(string name, Shape input, int index)
    {
        if (Outputs <= 0) throw new DeepGpuException($"Layer {name} must have a positive number of outputs, not {Outputs}.");
        return new AffineLayer(name, input, Outputs, Init);
    }
}

public sealed record ReluSpec : LayerSpec
{
    public override string Kind => "relu";
    public override Layer Create(string name, Shape input, int index) => new ActivationLayer(name, input, Activation.Relu);
}

public sealed record SigmoidSpec : LayerSpec
{
    public override string Kind => "sigmoid";
    public override Layer Create(string name, Shape input, int index) => new ActivationLayer(name, input, Activation.Sigmoid);
}

public sealed record TanhSpec : LayerSpec
{
    public override string Kind => "tanh";
    public override Layer Create(string name, Shape input, int index) => new ActivationLayer(name, input, Activation.Tanh);
}

/// <summary>Convolution with <see cref="Filters"/> square filters of side <see cref="Size"/>.</summary>
public sealed record ConvolutionSpec(int Filters, int Size, int Stride = 1, int Pad = 0) : LayerSpec
{
    public WeightInit Init { get; init; } = WeightInit.Normal(0.01f);
    public override string Kind => "convolution";
    public override Layer Create(string name, Shape input, int index)
    {
        if (Filters <= 0 || Size <= 0 || Stride <= 0 || Pad < 0)
        {
            throw new DeepGpuException($"Layer {name} needs positive filters, size and stride and a pad of 0 or more.");
        }
        return new ConvolutionLayer(name, input, Filters, Size, Stride, Pad, Init);
    }
}

/// <summary>Pooling with a square window.</summary>
public sealed record PoolingSpec(int Size = 2, int Stride = 2, int Pad = 0) : LayerSpec
{
    public PoolingMode Mode { get; init; } = PoolingMode.Max;
    public override string Kind => Mode == PoolingMode.Max ? "maxpool" : "avgpool";
    public override Layer Create(string name, Shape input, int index)
    {
        if (Size <= 0 || Stride <= 0 || Pad < 0) throw new DeepGpuException($"Layer {name} needs a positive size and stride and a pad of 0 or more.");
        return new PoolingLayer(name, input, Mode, Size, Stride, Pad);
    }
}

public sealed record FlattenSpec : LayerSpec
{
    public override string Kind => "flatten";
    public override Layer Create(string name, Shape input, int index) => new FlattenLayer(name, input);
}

/// <summary>Batch normalisation with the book's momentum 0.9 and eps 1e-6 by default.</summary>
public sealed record BatchNormalizationSpec(float Momentum = 0.9f, float Epsilon = 1e-6f) : LayerSpec
{
    public override string Kind => "batchnorm";
    public override Layer Create(string name, Shape input, int index) => new BatchNormalizationLayer(name, input, Momentum, Epsilon);
}

public sealed record DropoutSpec(float Ratio = 0.5f) : LayerSpec
{
    public override string Kind => "dropout";
    public override Layer Create(string name, Shape input, int index) => new DropoutLayer(name, input, Ratio, index);
}

public sealed record SoftmaxWithLossSpec : LayerSpec
{
    public override string Kind => "softmax";
    public override Layer Create(string name, Shape input, int index)
    {
        if (input.Rank != 1) throw new DeepGpuException($"Layer {name} needs flat class scores but gets {input}.");
        return new SoftmaxWithLossLayer(name, input);
    }
}

public sealed record MeanSquaredErrorSpec : LayerSpec
{
    public override string Kind => "mse";
    public override Layer Create(string name, Shape input, int index)
    {
        if (input.Rank != 1) throw new DeepGpuException($"Layer {name} needs flat class scores but gets {input}.");
        return new MeanSquaredErrorLayer(name, input);
    }
}
