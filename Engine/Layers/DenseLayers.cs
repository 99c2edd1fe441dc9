using DeepGpu.Backends;
using DeepGpu.Initializers;
using DeepGpu.Tensors;

namespace DeepGpu.Layers;

/// <summary>y = x·W + b, with x flattened to [N, in] (book ch.5 Affine). W is [in, out].</summary>
public sealed class AffineLayer : Layer
{
    private readonly int _in;
    private readonly int _out;
    private readonly WeightInit _init;
    private Backend _backend = null!;
    // Bound once, so a step does no dictionary work.
    private AffineGeometry _g;
    private AffineForwardBuffers _forward;
    private AffineBackwardBuffers _backward;

    public AffineLayer(string name, Shape input, int outputs, WeightInit init) : base(name, input, new Shape(outputs))
    {
        _in = input.Size;
        _out = outputs;
        _init = init;
    }

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("W", new Shape(_in, _out), IsWeight: true, FanIn: _in, Init: _init),
        new("b", new Shape(_out), IsWeight: false),
    ];

    internal override void Bind(LayerBinding binding) => (_backend, _g, _forward, _backward) = Buffers(binding);

    /// <summary>The geometry and op buffers of this layer in a plan (a fused affine + activation binds the same).</summary>
    internal (Backend, AffineGeometry, AffineForwardBuffers, AffineBackwardBuffers) Buffers(LayerBinding binding)
    {
        var w = binding.Parameters["W"];
        var forward = new AffineForwardBuffers { X = binding.X, W = w, B = binding.Parameters["b"], Y = binding.Y };
        var backward = new AffineBackwardBuffers
        {
            X = binding.X, W = w, Y = binding.Y, DY = binding.DY, DX = binding.DX, DW = binding.Gradients["W"], DB = binding.Gradients["b"],
        };
        return (binding.Backend, new AffineGeometry(binding.Batch, _in, _out), forward, backward);
    }

    internal override void Forward(PassInfo pass) => _backend.AffineForward(_g, null, _forward);

    internal override void Backward() => _backend.AffineBackward(_g, null, _backward);
}

/// <summary>
/// An affine layer and the activation straight after it as one layer, so the backend can add the bias and apply the
/// activation as the product is written, and read the activation's derivative as backward loads the gradient. Only
/// <see cref="Graph.Plan"/> makes one, from the two layers of a network; it goes by the affine layer's name.
/// </summary>
internal sealed class AffineActivationLayer : Layer, IFusedLayer
{
    private readonly AffineLayer _affine;
    private readonly Activation _kind;
    private Backend _backend = null!;
    private AffineGeometry _g;
    private AffineForwardBuffers _forward;
    private AffineBackwardBuffers _backward;

    public AffineActivationLayer(AffineLayer affine, ActivationLayer activation) : base(affine.Name, affine.InputShape, activation.OutputShape)
    {
        _affine = affine;
        _kind = activation.Kind;
        AbsorbedName = activation.Name;
    }

    public string AbsorbedName { get; }

    public override IReadOnlyList<ParameterSpec> Parameters => _affine.Parameters;

    internal override void Bind(LayerBinding binding) => (_backend, _g, _forward, _backward) = _affine.Buffers(binding);

    internal override void Forward(PassInfo pass) => _backend.AffineForward(_g, _kind, _forward);

    internal override void Backward() => _backend.AffineBackward(_g, _kind, _backward);
}

/// <summary>Relu, Sigmoid or Tanh, element-wise.</summary>
public sealed class ActivationLayer : Layer
{
    private LayerBinding _b = null!;

    public ActivationLayer(string name, Shape input, Activation kind) : base(name, input, input) => Kind = kind;

    public Activation Kind { get; }

    internal override void Bind(LayerBinding binding) => _b = binding;

    internal override void Forward(PassInfo pass)
    {
        _b.Backend.ActivationForward(Kind, _b.X, _b.Y);
    }

    internal override void Backward()
    {
        if (_b.DX.Length > 0) _b.Backend.ActivationBackward(Kind, _b.Y, _b.DY, _b.DX);
    }
}

/// <summary>Reshapes [C, H, W] to [C·H·W]; shares its buffers with its input.</summary>
public sealed class FlattenLayer : Layer
{
    public FlattenLayer(string name, Shape input) : base(name, input, new Shape(input.Size)) { }

    public override bool IsView => true;

    internal override void Bind(LayerBinding binding) { }

    internal override void Forward(PassInfo pass) { }

    internal override void Backward() { }
}

/// <summary>
/// Softmax then cross-entropy against class labels (book ch.5 SoftmaxWithLoss): the output is the class
/// probabilities; labelled passes add the batch's mean loss and its correct count to the metrics and write the
/// gradient at the logits in the same op, so backward has nothing left to launch.
/// </summary>
public sealed class SoftmaxWithLossLayer : LossLayer
{
    private LayerBinding _b = null!;
    private SoftmaxLossBuffers _loss;
    private int Classes => InputShape.Size;

    public SoftmaxWithLossLayer(string name, Shape input) : base(name, input) { }

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        _loss = new SoftmaxLossBuffers
        {
            Logits = binding.X, Labels = binding.Labels, Probabilities = binding.Y, LossSum = binding.LossSum, CorrectCount = binding.CorrectCount,
            DLogits = binding.DX,
        };
    }

    internal override void Forward(PassInfo pass)
    {
        if (_b.Labels.Length == 0) _b.Backend.Softmax(_b.X, _b.Y, _b.Batch, Classes);
        else _b.Backend.SoftmaxLoss(_loss, _b.Batch, Classes);
    }

    /// <summary>The labelled forward pass already wrote the gradient.</summary>
    internal override void Backward() { }
}

/// <summary>
/// Sum of squares loss 0.5·Σ(y − t)² / N against one-hot targets built from the labels (book ch.4); the output
/// is the scores themselves, so the layer shares its input's buffer instead of copying it.
/// </summary>
public sealed class MeanSquaredErrorLayer : LossLayer
{
    private LayerBinding _b = null!;
    private DeviceBuffer<float>? _targets;
    private int Classes => InputShape.Size;

    public MeanSquaredErrorLayer(string name, Shape input) : base(name, input) { }

    public override bool IsView => true;

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        if (binding.Labels.Length > 0) _targets = binding.AllocateFloat(binding.Batch * Classes);
    }

    internal override void Forward(PassInfo pass)
    {
        if (_targets is null) return;
        var be = _b.Backend;
        be.OneHot(_b.Labels, _targets, _b.Batch, Classes);
        be.SumSquaredError(_b.X, _targets, _b.LossSum, _b.Batch, Classes);
        be.CountCorrect(_b.X, _b.Labels, _b.CorrectCount, _b.Batch, Classes);
    }

    internal override void Backward()
    {
        if (_b.DX.Length > 0) _b.Backend.SumSquaredErrorBackward(_b.X, _targets!, _b.DX, _b.Batch, Classes);
    }
}
