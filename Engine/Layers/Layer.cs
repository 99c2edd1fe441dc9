using DeepGpu.Backends;
using DeepGpu.Initializers;
using DeepGpu.Tensors;

namespace DeepGpu.Layers;

/// <summary>A trainable tensor of a layer: its shape, how it starts, and whether weight decay applies to it.</summary>
/// <param name="Name">Name within the layer (W, b, gamma, beta).</param>
/// <param name="Shape">Shape of the tensor.</param>
/// <param name="IsWeight">True for weights (weight decay applies), false for biases and normalisation parameters.</param>
/// <param name="FanIn">Inputs each unit sees, for Xavier and He.</param>
/// <param name="Init">How to draw it; null means every element is <paramref name="Constant"/>.</param>
/// <param name="Constant">The starting value when <paramref name="Init"/> is null.</param>
public sealed record ParameterSpec(string Name, Shape Shape, bool IsWeight, int FanIn = 1, WeightInit? Init = null, float Constant = 0f);

/// <summary>A non-trainable tensor that is part of a model (batch norm's running statistics).</summary>
public sealed record StateSpec(string Name, int Length, float InitialValue);

/// <summary>
/// What one training or inference pass is: mode, step number and seed (for dropout). With a <paramref name="Record"/>,
/// layers read the step number from it on the device instead (a training step whose launches do not change).
/// </summary>
public readonly record struct PassInfo(bool Training, ulong Seed, ulong Step, StepRecord? Record = null);

/// <summary>
/// A layer of the book, compiled for one plan: it knows its shapes and its forward and backward as backend ops.
/// A layer is bound once to its buffers (<see cref="Bind"/>); forward and backward then only launch ops.
/// </summary>
public abstract class Layer
{
    protected Layer(string name, Shape input, Shape output)
    {
        Name = name;
        InputShape = input;
        OutputShape = output;
    }

    /// <summary>Name shown in messages, e.g. "affine2".</summary>
    public string Name { get; }
    public Shape InputShape { get; }
    public Shape OutputShape { get; }

    /// <summary>Trainable tensors, in the order they are laid out.</summary>
    public virtual IReadOnlyList<ParameterSpec> Parameters => [];

    /// <summary>Non-trainable saved tensors.</summary>
    public virtual IReadOnlyList<StateSpec> State => [];

    /// <summary>True when the output is the input itself (Flatten, a squared-error loss): the plan gives both the same buffer.</summary>
    public virtual bool IsView => false;

    /// <summary>Scratch floats this layer needs for a batch on a backend (shared between layers).</summary>
    public virtual long WorkspaceLength(Backend backend, int batch) => 0;

    /// <summary>Takes the buffers of one plan; allocations a layer needs for itself happen here, never per step.</summary>
    internal abstract void Bind(LayerBinding binding);

    internal abstract void Forward(PassInfo pass);

    internal abstract void Backward();
}

/// <summary>A layer a plan made from two of a network's layers; it goes by the first one's name.</summary>
internal interface IFusedLayer
{
    /// <summary>The name of the second layer, which this one absorbed.</summary>
    string AbsorbedName { get; }
}

/// <summary>The buffers a plan hands to a layer.</summary>
internal sealed class LayerBinding
{
    public required Backend Backend { get; init; }
    public required int Batch { get; init; }
    public required BufferView<float> X { get; init; }
    public required BufferView<float> Y { get; init; }
    /// <summary>Gradient with respect to the input; empty for the first layer, which needs none.</summary>
    public required BufferView<float> DX { get; init; }
    public required BufferView<float> DY { get; init; }
    public required IReadOnlyDictionary<string, BufferView<float>> Parameters { get; init; }
    public required IReadOnlyDictionary<string, BufferView<float>> Gradients { get; init; }
    public required IReadOnlyDictionary<string, BufferView<float>> State { get; init; }
    public required BufferView<float> Workspace { get; init; }
    public required BufferView<int> Labels { get; init; }
    /// <summary>One float the loss layer adds the batch's mean loss to.</summary>
    public required BufferView<float> LossSum { get; init; }
    /// <summary>One float the loss layer adds the batch's number of correct predictions to.</summary>
    public required BufferView<float> CorrectCount { get; init; }
    public required Func<int, DeviceBuffer<float>> AllocateFloat { get; init; }
    public required Func<int, DeviceBuffer<int>> AllocateInt { get; init; }
}

/// <summary>The last layer of a network: turns scores into a loss against labels and into predictions.</summary>
public abstract class LossLayer : Layer
{
    protected LossLayer(string name, Shape input) : base(name, input, input) { }
}
