using DeepGpu.Backends;
using DeepGpu.Initializers;
using DeepGpu.Tensors;

namespace DeepGpu.Layers;

/// <summary>2-D convolution over NCHW input (book ch.7): filters W [F, C, KH, KW], bias b [F].</summary>
public sealed class ConvolutionLayer : Layer
{
    private readonly WeightInit _init;
    private LayerBinding _b = null!;
    private ConvolutionGeometry _g;
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

    internal override void Bind(LayerBinding binding)
    {
        _b = binding;
        _g = _g with { Batch = binding.Batch };
        var w = binding.Parameters["W"];
        _forward = new() { X = binding.X, W = w, B = binding.Parameters["b"], Y = binding.Y, Workspace = binding.Workspace };
        _backward = new()
        {
            X = binding.X, W = w, DY = binding.DY, DX = binding.DX, DW = binding.Gradients["W"], DB = binding.Gradients["b"],
            Workspace = binding.Workspace,
        };
    }

    /// <summary>Whether this layer also applies the ReLU that follows it (<see cref="Graph.Plan"/> decides; the ReLU layer is then a view).</summary>
    internal bool FusedRelu { get; set; }

    internal override void Forward(PassInfo pass)
    {
        if (FusedRelu) _b.Backend.ConvolutionReluForward(_g, _forward);
        else _b.Backend.ConvolutionForward(_g, _forward);
    }

    internal override void Backward()
    {
        if (FusedRelu) _b.Backend.ConvolutionReluBackward(_g, _backward, _b.Y);
        else _b.Backend.ConvolutionBackward(_g, _backward);
    }
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
        var counter = (pass.Step * 64 + (ulong)_index) * (ulong)_mask!.Length;
        _b.Backend.DropoutForward(_b.X, _b.Y, _mask, Ratio, pass.Seed, counter);
    }

    internal override void Backward()
    {
        if (_b.DX.Length > 0) _b.Backend.Multiply(_b.DY, _mask!, _b.DX);
    }
}
