using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Training;

namespace DeepGpu.Models;

/// <summary>
/// A network with its parameters on a backend: what you train, evaluate, predict with, save and load.
/// Plans are compiled per batch size on first use and kept.
/// </summary>
public sealed partial class Model : ITrainable, IDisposable
{
    private readonly Dictionary<(int Batch, bool Labels), Plan> _plans = [];

    private Model(Network network, Backend backend, float[] parameters, float[] state)
    {
        Network = network;
        Backend = backend;
        Parameters = backend.Allocate<float>(network.ParameterCount);
        Gradients = backend.Allocate<float>(network.ParameterCount);
        State = backend.Allocate<float>(Math.Max(network.StateCount, 0));
        backend.Upload<float>(parameters, Parameters);
        backend.Upload<float>(state, State);
    }

    /// <summary>A freshly initialised model; the same seed gives the same initial weights on every backend.</summary>
    public static Model Create(NetworkSpec spec, Backend backend, ulong seed = 1)
    {
        var network = Network.Build(spec);
        return new Model(network, backend, network.InitialParameters(seed), network.InitialState());
    }

    /// <summary>A model with the given parameter and state values (from a file or a checkpoint).</summary>
    public static Model FromValues(NetworkSpec spec, Backend backend, ReadOnlySpan<float> parameters, ReadOnlySpan<float> state)
    {
        var network = Network.Build(spec);
        if (parameters.Length != network.ParameterCount || state.Length != network.StateCount)
        {
            throw new DeepGpuException($"The values hold {parameters.Length} parameters and {state.Length} state values but the network needs {network.ParameterCount} and {network.StateCount}.");
        }
        return new Model(network, backend, parameters.ToArray(), state.ToArray());
    }

    public Network Network { get; }
    public NetworkSpec Spec => Network.Spec;
    public Backend Backend { get; }

    /// <summary>All parameters in one flat buffer (layout: <see cref="Network.Parameters"/>).</summary>
    public DeviceBuffer<float> Parameters { get; }

    /// <summary>All gradients, laid out like <see cref="Parameters"/>.</summary>
    public DeviceBuffer<float> Gradients { get; }

    /// <summary>Non-trainable state (batch norm running statistics).</summary>
    public DeviceBuffer<float> State { get; }

    /// <summary>Per-epoch training history, saved with the model.</summary>
    public List<EpochMetrics> History { get; } = [];

    IList<EpochMetrics> ITrainable.History => History;

    /// <summary>
    /// How many plans (batch sizes) the model keeps: training uses one, evaluation two (full batches and the
    /// rest), prediction two; beyond this the least recently used is freed, so device memory stays bounded
    /// however many batch sizes pass through <see cref="Predict(ReadOnlySpan{float})"/>.
    /// </summary>
    public const int PlanCacheSize = 6;

    private long _planUse;

    /// <summary>
    /// The plan for a batch size (compiled on first use). It stays valid until <see cref="PlanCacheSize"/> other
    /// batch sizes have been asked for since its last use.
    /// </summary>
    public Plan GetPlan(int batch, bool withLabels = true)
    {
        var key = (batch, withLabels);
        if (!_plans.TryGetValue(key, out var plan))
        {
            if (_plans.Count >= PlanCacheSize)
            {
                var oldest = _plans.MinBy(p => _planLastUse[p.Key]).Key;
                _plans.Remove(oldest, out var evicted);
                _planLastUse.Remove(oldest);
                evicted!.Dispose();
            }
            plan = new Plan(Network, Backend, batch, Parameters, Gradients, State, withLabels) { RoundToHalf = HalfPrecision };
            _plans[key] = plan;
        }
        _planLastUse[key] = ++_planUse;
        return plan;
    }

    private readonly Dictionary<(int Batch, bool Labels), long> _planLastUse = [];

    private float[]? _fullPrecision;

    /// <summary>
    /// Half-precision inference (book ch.8): weights, inputs and activations rounded to 16-bit floats. Setting it
    /// back to false restores the exact weights. Not for training.
    /// </summary>
    public bool HalfPrecision
    {
        get => _fullPrecision is not null;
        set
        {
            if (value == HalfPrecision) return;
            if (value)
            {
                _fullPrecision = GetParameters();
                Backend.RoundToHalf(Parameters);
            }
            else
            {
                SetParameters(_fullPrecision);
                _fullPrecision = null;
            }
            foreach (var plan in _plans.Values) plan.RoundToHalf = value;
        }
    }

    /// <summary>Reads the parameters to the host.</summary>
    public float[] GetParameters()
    {
        var values = new float[Network.ParameterCount];
        Backend.Download<float>(Parameters, values);
        return values;
    }

    public void SetParameters(ReadOnlySpan<float> values) => Backend.Upload(values, Parameters.View);

    public float[] GetState()
    {
        var values = new float[Network.StateCount];
        Backend.Download<float>(State, values);
        return values;
    }

    public void SetState(ReadOnlySpan<float> values) => Backend.Upload(values, State.View);

    /// <summary>Reads the gradients of the last backward pass to the host.</summary>
    public float[] GetGradients()
    {
        var values = new float[Network.ParameterCount];
        Backend.Download<float>(Gradients, values);
        return values;
    }

    /// <summary>
    /// Class probabilities for a batch of inputs (each <see cref="Network.InputShape"/> floats, in [0, 1] for
    /// images): [count, Classes] row-major.
    /// </summary>
    public float[] Predict(ReadOnlySpan<float> inputs)
    {
        var size = Network.InputShape.Size;
        if (inputs.Length == 0 || inputs.Length % size != 0)
        {
            throw new DeepGpuException($"Prediction input has {inputs.Length} values, which is not a whole number of {Network.InputShape} samples.");
        }
        var count = inputs.Length / size;
        var classes = Network.Classes;
        var result = new float[count * classes];
        const int chunk = 256;
        for (var start = 0; start < count; start += chunk)
        {
            var n = Math.Min(chunk, count - start);
            var plan = GetPlan(n, withLabels: false);
            Backend.Upload(inputs.Slice(start * size, n * size), plan.Input.View);
            plan.Forward(new PassInfo(false, 0, 0));
            Backend.Download(plan.Output, result.AsSpan(start * classes, n * classes));
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var plan in _plans.Values) plan.Dispose();
        _plans.Clear();
        Parameters.Dispose();
        Gradients.Dispose();
        State.Dispose();
        _ownedBackend?.Dispose();
    }
}
