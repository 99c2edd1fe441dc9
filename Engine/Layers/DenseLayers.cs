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
    private LayerBinding _b = null!;
    // Looked up once at bind time, so a step does no dictionary work.
    private BufferView<float> _w, _bias, _dw, _db;

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

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        (_w, _bias, _dw, _db) = (binding.Parameters["W"], binding.Parameters["b"], binding.Gradients["W"], binding.Gradients["b"]);
    }

    internal override void Forward(PassInfo pass)
    {
        var be = _b.Backend;
        be.Gemm(false, false, _b.Batch, _out, _in, 1f, _b.X, _w, 0f, _b.Y);
        be.AddBias(_b.Y, _bias, _b.Batch, _out);
    }

    internal override void Backward()
    {
        var be = _b.Backend;
        // dW = xᵀ·dy, db = Σ dy, dx = dy·Wᵀ
        be.Gemm(true, false, _in, _out, _b.Batch, 1f, _b.X, _b.DY, 0f, _dw);
        be.BiasGradient(_b.DY, _db, _b.Batch, _out);
        if (_b.DX.Length > 0) be.Gemm(false, true, _b.Batch, _in, _out, 1f, _b.DY, _w, 0f, _b.DX);
    }
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
/// probabilities; training passes add the batch's mean loss and its correct count to the metrics.
/// </summary>
public sealed class SoftmaxWithLossLayer : LossLayer
{
    private LayerBinding _b = null!;
    private int Classes => InputShape.Size;

    public SoftmaxWithLossLayer(string name, Shape input) : base(name, input) { }

    internal override void Bind(LayerBinding binding) => _b = binding;

    internal override void Forward(PassInfo pass)
    {
        var be = _b.Backend;
        if (_b.Labels.Length == 0)
        {
            be.Softmax(_b.X, _b.Y, _b.Batch, Classes);
            return;
        }
        be.SoftmaxCrossEntropy(_b.X, _b.Labels, _b.Y, _b.LossSum, _b.Batch, Classes);
        be.CountCorrect(_b.Y, _b.Labels, _b.CorrectCount, _b.Batch, Classes);
    }

    internal override void Backward() => _b.Backend.SoftmaxCrossEntropyBackward(_b.Y, _b.Labels, _b.DX, _b.Batch, Classes);
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
