using DeepGpu.Backends;
using DeepGpu.Initializers;
using DeepGpu.Tensors;

namespace DeepGpu.Layers;

/// <summary>2-D convolution over NCHW input (book ch.7): filters W [F, C, KH, KW], bias b [F].</summary>
public sealed class ConvolutionLayer : Layer
{
    private readonly WeightInit _init;
    private readonly ConvolutionGeometry _g;
    private Backend _backend = null!;
    private ConvolutionGeometry _bound;
    private ConvolutionForwardBuffers _forward;
    private ConvolutionBackwardBuffers _backward;

    public ConvolutionLayer(string name, Shape input, int filters, int size, int stride, int pad, WeightInit init)
        : base(name, input, OutputFor(name, input, filters, size, stride, pad))
    {
        var (c, h, w) = input.AsImage();
        _g = new ConvolutionGeometry(1, c, h, w, filters, size, size, stride, pad);
        _init = init;
    }

    private static Shape OutputFor(string name, Shape input, int filters, int size, int stride, int pad)
    {
        if (input.Rank != 3) throw new DeepGpuException($"Layer {name} needs an image input [C, H, W] but gets {input}.");
        var (_, h, w) = input.AsImage();
        if (h + 2 * pad < size || w + 2 * pad < size)
        {
            throw new DeepGpuException($"Layer {name} has a {size}x{size} kernel (pad {pad}) that does not fit its input {input}.");
        }
        return new Shape(filters, (h + 2 * pad - size) / stride + 1, (w + 2 * pad - size) / stride + 1);
    }

    public ConvolutionGeometry Geometry => _g;

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("W", new Shape(_g.Filters, _g.Channels, _g.KernelH, _g.KernelW), IsWeight: true, FanIn: _g.PatchLength, Init: _init),
        new("b", new Shape(_g.Filters), IsWeight: false),
    ];

    public override long WorkspaceLength(Backend backend, int batch) => backend.ConvolutionWorkspaceLength(_g with { Batch = batch });

    internal override void Bind(LayerBinding binding) => (_backend, _bound, _forward, _backward) = Buffers(binding);

    /// <summary>The geometry and op buffers of this convolution in a plan (a fused convolution + ReLU binds the same).</summary>
    internal (Backend, ConvolutionGeometry, ConvolutionForwardBuffers, ConvolutionBackwardBuffers) Buffers(LayerBinding binding)
    {
        var w = binding.Parameters["W"];
        var forward = new ConvolutionForwardBuffers { X = binding.X, W = w, B = binding.Parameters["b"], Y = binding.Y, Workspace = binding.Workspace };
        var backward = new ConvolutionBackwardBuffers
        {
            X = binding.X, W = w, DY = binding.DY, DX = binding.DX, DW = binding.Gradients["W"], DB = binding.Gradients["b"],
            Workspace = binding.Workspace,
        };
        return (binding.Backend, _g with { Batch = binding.Batch }, forward, backward);
    }

    internal override void Forward(PassInfo pass) => _backend.ConvolutionForward(_bound, _forward);

    internal override void Backward() => _backend.ConvolutionBackward(_bound, _backward);
}

/// <summary>
/// A convolution and the ReLU straight after it as one layer, so the backend can apply the ReLU while the
/// convolution's outputs are still in cache. Only <see cref="Graph.Plan"/> makes one, from the two layers of a
/// network, when it compiles it; the layer goes by the convolution's name and holds its parameters.
/// </summary>
internal sealed class ConvolutionReluLayer : Layer, IFusedLayer
{
    private readonly ConvolutionLayer _convolution;
    private Backend _backend = null!;
    private ConvolutionGeometry _bound;
    private ConvolutionForwardBuffers _forward;
    private ConvolutionBackwardBuffers _backward;
    private BufferView<float> _y;

    public ConvolutionReluLayer(ConvolutionLayer convolution, ActivationLayer relu) : base(convolution.Name, convolution.InputShape, relu.OutputShape)
    {
        if (relu.Kind != Activation.Relu) throw new ArgumentException($"Layer {relu.Name} is not a ReLU.", nameof(relu));
        _convolution = convolution;
        AbsorbedName = relu.Name;
    }

    public string AbsorbedName { get; }

    public override IReadOnlyList<ParameterSpec> Parameters => _convolution.Parameters;

    public override long WorkspaceLength(Backend backend, int batch) => _convolution.WorkspaceLength(backend, batch);

    internal override void Bind(LayerBinding binding)
    {
        (_backend, _bound, _forward, _backward) = _convolution.Buffers(binding);
        _y = binding.Y;
    }

    internal override void Forward(PassInfo pass) => _backend.ConvolutionReluForward(_bound, _forward);

    internal override void Backward() => _backend.ConvolutionReluBackward(_bound, _backward, _y);
}

/// <summary>Max or average pooling over NCHW input (book ch.7).</summary>
public sealed class PoolingLayer : Layer
{
    private LayerBinding _b = null!;
    private PoolingGeometry _g;
    private DeviceBuffer<int>? _argmax;

    public PoolingLayer(string name, Shape input, PoolingMode mode, int size, int stride, int pad)
        : base(name, input, OutputFor(name, input, size, stride, pad))
    {
        var (c, h, w) = input.AsImage();
        _g = new PoolingGeometry(1, c, h, w, size, stride, pad);
        Mode = mode;
    }

    private static Shape OutputFor(string name, Shape input, int size, int stride, int pad)
    {
        if (input.Rank != 3) throw new DeepGpuException($"Layer {name} needs an image input [C, H, W] but gets {input}.");
        var (c, h, w) = input.AsImage();
        if (h + 2 * pad < size || w + 2 * pad < size) throw new DeepGpuException($"Layer {name} has a {size}x{size} window that does not fit its input {input}.");
        if (pad >= size) throw new DeepGpuException($"Layer {name} has pad {pad}, which must be smaller than its window {size}.");
        return new Shape(c, (h + 2 * pad - size) / stride + 1, (w + 2 * pad - size) / stride + 1);
    }

    public PoolingMode Mode { get; }

    /// <summary>The window, stride and padding over this layer's input (batch 1 until bound).</summary>
    public PoolingGeometry Geometry => _g;

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        _g = _g with { Batch = binding.Batch };
        _argmax = binding.AllocateInt(Mode == PoolingMode.Max ? _g.OutputLength : 0);
    }

    internal override void Forward(PassInfo pass) => _b.Backend.PoolingForward(Mode, _g, _b.X, _b.Y, _argmax!);

    internal override void Backward()
    {
        if (_b.DX.Length > 0) _b.Backend.PoolingBackward(Mode, _g, _b.DY, _argmax!, _b.DX);
    }
}

/// <summary>
/// Batch normalisation (book ch.6): per feature for flat input, per channel for images (as every framework
/// does; the book normalises per flattened feature). Running statistics are model state.
/// </summary>
public sealed class BatchNormalizationLayer : Layer
{
    private readonly int _channels;
    private readonly int _spatial;
    private LayerBinding _b = null!;
    private NormalizationGeometry _g;
    private BatchNormForwardBuffers _forward;
    private BatchNormBackwardBuffers _backward;

    public BatchNormalizationLayer(string name, Shape input, float momentum, float epsilon) : base(name, input, input)
    {
        _channels = input.Rank == 3 ? input[0] : input.Size;
        _spatial = input.Size / _channels;
        Momentum = momentum;
        Epsilon = epsilon;
    }

    public float Momentum { get; }
    public float Epsilon { get; }

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("gamma", new Shape(_channels), IsWeight: false, Constant: 1f),
        new("beta", new Shape(_channels), IsWeight: false),
    ];

    public override IReadOnlyList<StateSpec> State => [new("running_mean", _channels, 0f), new("running_var", _channels, 0f)];

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        _g = new NormalizationGeometry(binding.Batch, _channels, _spatial);
        var savedMean = binding.AllocateFloat(_channels);
        var savedInvStd = binding.AllocateFloat(_channels);
        var gamma = binding.Parameters["gamma"];
        _forward = new()
        {
            X = binding.X, Gamma = gamma, Beta = binding.Parameters["beta"], Y = binding.Y,
            RunningMean = binding.State["running_mean"], RunningVar = binding.State["running_var"], SavedMean = savedMean, SavedInvStd = savedInvStd,
        };
        _backward = new()
        {
            X = binding.X, Gamma = gamma, DY = binding.DY, SavedMean = savedMean, SavedInvStd = savedInvStd,
            // The op always writes dx; a first layer gets a scratch buffer for it.
            DX = binding.DX.Length > 0 ? binding.DX : binding.AllocateFloat(binding.Batch * InputShape.Size),
            DGamma = binding.Gradients["gamma"], DBeta = binding.Gradients["beta"],
        };
    }

    internal override void Forward(PassInfo pass) =>
        _b.Backend.BatchNormForward(_g, new BatchNormSettings { Training = pass.Training, Momentum = Momentum, Epsilon = Epsilon }, _forward);

    internal override void Backward() => _b.Backend.BatchNormBackward(_g, _backward);
}

/// <summary>Inverted dropout (book ch.6): drops each unit with probability Ratio while training; identity at inference.</summary>
public sealed class DropoutLayer : Layer
{
    private LayerBinding _b = null!;
    private DeviceBuffer<float>? _mask;
    private int _index;

    public DropoutLayer(string name, Shape input, float ratio, int index) : base(name, input, input)
    {
        if (ratio is < 0f or >= 1f) throw new DeepGpuException($"Layer {name} has dropout ratio {ratio}, which must be in [0, 1).");
        Ratio = ratio;
        _index = index;
    }

    public float Ratio { get; }

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        _mask = binding.AllocateFloat(binding.Batch * InputShape.Size);
    }

    internal override void Forward(PassInfo pass)
    {
        if (!pass.Training)
        {
            _b.Backend.Copy(_b.X, _b.Y);
            return;
        }
        // Each dropout layer and each step draws from its own range of counters.
        var length = (ulong)_mask!.Length;
        var counter = pass.Record is null
            ? new StepCounter((pass.Step * 64 + (ulong)_index) * length)
            : new StepCounter((ulong)_index * length, 64 * length, pass.Record);
        _b.Backend.DropoutForward(_b.X, _b.Y, _mask, Ratio, pass.Seed, counter);
    }

    internal override void Backward()
    {
        if (_b.DX.Length > 0) _b.Backend.Multiply(_b.DY, _mask!, _b.DX);
    }
}
