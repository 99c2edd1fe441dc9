using DeepGpu.Backends;
using DeepGpu.Layers;

namespace DeepGpu.Graph;

/// <summary>
/// A network compiled for one batch size on one backend: every buffer allocated up front and every layer bound
/// to its buffers, so a forward or backward pass is a fixed list of launches with no allocation, no host copy
/// and no synchronisation. Parameters, gradients and state are slices of flat buffers owned by the caller.
/// </summary>
public sealed class Plan : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly List<Layer> _layers;
    private readonly Backend _backend;
    private readonly Dictionary<Layer, BufferView<float>> _outputs = [];
    private readonly DeviceBuffer<float> _metrics;

    /// <summary>Compiles <paramref name="network"/> for <paramref name="batch"/> samples.</summary>
    /// <param name="withLabels">Allocates labels and loss buffers for training and scoring; false for pure inference.</param>
    public Plan(Network network, Backend backend, int batch, DeviceBuffer<float> parameters, DeviceBuffer<float> gradients,
        DeviceBuffer<float> state, bool withLabels = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Network = network;
        _backend = backend;
        Batch = batch;
        _layers = Fuse(Network.CreateLayers(network.Spec));

        try
        {
            Input = Own(Allocate<float>(batch, network.InputShape.Size, "the input batch"));
            Labels = Own(withLabels ? Allocate<int>(batch, 1, "the labels") : backend.Allocate<int>(0));
            _metrics = Own(backend.Allocate<float>(2));
            var workspaceLayer = _layers.MaxBy(l => l.WorkspaceLength(backend, batch))!;
            var workspace = Own(Allocate<float>(1, workspaceLayer.WorkspaceLength(backend, batch), $"the workspace of layer {workspaceLayer.Name}"));

            var paramSlots = network.Parameters.ToLookup(s => s.Layer);
            var stateSlots = network.State.ToLookup(s => s.Layer);
            var x = Input.View;
            BufferView<float> dx = default;
            var emptyInt = Own(backend.Allocate<int>(0));
            var emptyFloat = Own(backend.Allocate<float>(0));
            for (var i = 0; i < _layers.Count; i++)
            {
                var layer = _layers[i];
                var y = layer.IsView ? x : Own(Allocate<float>(batch, layer.OutputShape.Size, $"the outputs of layer {layer.Name}")).View;
                var dy = layer.IsView ? (i == 0 ? emptyFloat.View : dx) : Own(Allocate<float>(batch, layer.OutputShape.Size, $"the gradients of layer {layer.Name}")).View;
                layer.Bind(new LayerBinding
                {
                    Backend = backend,
                    Batch = batch,
                    X = x,
                    Y = y,
                    DX = i == 0 ? emptyFloat.View : dx,
                    DY = dy,
                    Parameters = paramSlots[layer.Name].ToDictionary(s => s.Name, s => Network.Slice(parameters, s)),
                    Gradients = paramSlots[layer.Name].ToDictionary(s => s.Name, s => Network.Slice(gradients, s)),
                    State = stateSlots[layer.Name].ToDictionary(s => s.Name, s => Network.Slice(state, s)),
                    Workspace = workspace,
                    Labels = withLabels ? Labels : emptyInt.View,
                    LossSum = LossSum,
                    CorrectCount = CorrectCount,
                    AllocateFloat = n => Own(Allocate<float>(1, n, $"a buffer of layer {layer.Name}")),
                    AllocateInt = n => Own(Allocate<int>(1, n, $"a buffer of layer {layer.Name}")),
                });
                _outputs[layer] = y;
                x = y;
                dx = dy;
            }
            Output = x;
        }
        catch
        {
            // Nothing half-built stays allocated: the caller gets the error and the device its memory back.
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// A buffer of <paramref name="count"/> × <paramref name="size"/> elements for <paramref name="what"/>; too
    /// many for one buffer, or more than the device has free, is an error that names it.
    /// </summary>
    private DeviceBuffer<T> Allocate<T>(long count, long size, string what) where T : unmanaged
    {
        var length = count * size;
        if (length > Array.MaxLength)
        {
            throw new DeepGpuException($"Batch {Batch} needs {length:N0} elements for {what}, more than one buffer holds ({Array.MaxLength:N0}); use a smaller batch.");
        }
        try
        {
            return _backend.Allocate<T>((int)length);
        }
        catch (DeviceOutOfMemoryException e)
        {
            throw e.For($"{what} for batch {Batch}");
        }
    }

    public Network Network { get; }
    public int Batch { get; }

    /// <summary>The batch input, [Batch, input shape], written by the caller before <see cref="Forward"/>.</summary>
    public DeviceBuffer<float> Input { get; }

    /// <summary>The batch labels (class indices); empty for an inference-only plan.</summary>
    public DeviceBuffer<int> Labels { get; }

    /// <summary>One float on the device: the sum of the labelled forward passes' mean losses since <see cref="ResetMetrics"/>.</summary>
    public BufferView<float> LossSum => _metrics.Slice(0, 1);

    /// <summary>One float on the device: the correct predictions of the labelled forward passes since <see cref="ResetMetrics"/>.</summary>
    public BufferView<float> CorrectCount => _metrics.Slice(1, 1);

    /// <summary>The network's output: class probabilities [Batch, Classes] (scores for a squared-error loss).</summary>
    public BufferView<float> Output { get; }

    /// <summary>Queues the forward pass. With labels, adds the batch's mean loss and correct count to <see cref="LossSum"/> and <see cref="CorrectCount"/>.</summary>
    public void Forward(PassInfo pass)
    {
        if (RoundToHalf) _backend.RoundToHalf(Input);
        foreach (var layer in _layers)
        {
            layer.Forward(pass);
            if (RoundToHalf && !layer.IsView) _backend.RoundToHalf(_outputs[layer]);
        }
    }

    /// <summary>
    /// Half-precision inference (book ch.8): the input and every layer's output are rounded to 16-bit floats
    /// as they are made (the caller rounds the weights).
    /// </summary>
    public bool RoundToHalf { get; set; }

    /// <summary>Queues the backward pass of the last training forward, writing every parameter's gradient.</summary>
    public void Backward()
    {
        for (var i = _layers.Count - 1; i >= 0; i--) _layers[i].Backward();
    }

    /// <summary>
    /// Milliseconds each layer's forward and backward take, each timed with the device synchronised (so the
    /// total is slower than a real step): where a step's time goes. An inference pass times the forward only.
    /// </summary>
    public IReadOnlyList<(string Layer, double ForwardMs, double BackwardMs)> ProfileLayers(PassInfo pass)
    {
        var forward = new double[_layers.Count];
        var backward = new double[_layers.Count];
        _backend.Synchronize();
        for (var i = 0; i < _layers.Count; i++) forward[i] = Timed(() => _layers[i].Forward(pass));
        if (pass.Training) for (var i = _layers.Count - 1; i >= 0; i--) backward[i] = Timed(_layers[i].Backward);
        // One row per layer of the network: a fused pair's time is its first layer's, the absorbed layer's is 0.
        return _layers.SelectMany((l, i) => l is IFusedLayer fused
            ? new[] { (l.Name, forward[i], backward[i]), (fused.AbsorbedName, 0.0, 0.0) }
            : [(l.Name, forward[i], backward[i])]).ToList();

        double Timed(Action run)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            run();
            _backend.Synchronize();
            return clock.Elapsed.TotalMilliseconds;
        }
    }

    /// <summary>Zeroes the metric accumulators.</summary>
    public void ResetMetrics() => _backend.Fill(_metrics, 0f);

    /// <summary>Waits for the device and reads the metric accumulators.</summary>
    public PlanMetrics ReadMetrics()
    {
        Span<float> m = stackalloc float[2];
        _backend.Download(_metrics.View, m);
        return new PlanMetrics(m[0], m[1]);
    }

    /// <summary>
    /// An activation straight after a convolution (ReLU) or an affine layer (any) runs inside it: one pass over the
    /// outputs instead of three, and one launch fewer each way on a GPU. The pair becomes one
    /// <see cref="ConvolutionReluLayer"/> or <see cref="AffineActivationLayer"/>.
    /// </summary>
    private static List<Layer> Fuse(List<Layer> layers)
    {
        var fused = new List<Layer>(layers.Count);
        foreach (var layer in layers)
        {
            if (layer is ActivationLayer { Kind: Activation.Relu } relu && fused.Count > 0 && fused[^1] is ConvolutionLayer convolution)
            {
                fused[^1] = new ConvolutionReluLayer(convolution, relu);
            }
            else if (layer is ActivationLayer activation && fused.Count > 0 && fused[^1] is AffineLayer affine)
            {
                fused[^1] = new AffineActivationLayer(affine, activation);
            }
            else
            {
                fused.Add(layer);
            }
        }
        return fused;
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }
}

/// <summary>What a plan's labelled forward passes added up since its metrics were reset.</summary>
/// <param name="LossSum">The sum of the passes' mean losses (plus any weight-decay term a trainer adds).</param>
/// <param name="Correct">The number of correct predictions.</param>
public readonly record struct PlanMetrics(float LossSum, float Correct);
