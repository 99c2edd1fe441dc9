using DeepGpu.Backends;

namespace DeepGpu.Optimizers;

/// <summary>
/// One of the book's optimizers (common/optimizer.py) with its defaults. A step is one launch over the flat
/// parameter buffer; the optimizer owns its state buffers (velocity, h, Adam's m and v).
/// </summary>
public sealed class Optimizer : IDisposable
{
    private DeviceBuffer<float>? _firstState;
    private DeviceBuffer<float>? _secondState;
    private Backend? _backend;

    private Optimizer(UpdateRule rule, float learningRate, float firstStateDecay = 0f, float secondStateDecay = 0f, float epsilon = 1e-7f)
    {
        if (!(learningRate > 0f) || float.IsInfinity(learningRate)) throw new DeepGpuException($"The learning rate must be a positive number, not {learningRate}.");
        Rule = rule;
        LearningRate = learningRate;
        FirstStateDecay = firstStateDecay;
        SecondStateDecay = secondStateDecay;
        Epsilon = epsilon;
    }

    public static Optimizer Sgd(float lr = 0.01f) => new(UpdateRule.Sgd, lr);
    public static Optimizer Momentum(float lr = 0.01f, float momentum = 0.9f) => new(UpdateRule.Momentum, lr, momentum);
    public static Optimizer Nesterov(float lr = 0.01f, float momentum = 0.9f) => new(UpdateRule.Nesterov, lr, momentum);
    public static Optimizer AdaGrad(float lr = 0.01f) => new(UpdateRule.AdaGrad, lr);
    public static Optimizer RmsProp(float lr = 0.01f, float decay = 0.99f) => new(UpdateRule.RmsProp, lr, decay);
    public static Optimizer Adam(float lr = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f) => new(UpdateRule.Adam, lr, beta1, beta2);

    /// <summary>The names the CLI accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

    /// <summary>Creates an optimizer by name; a null learning rate takes the book's default for it.</summary>
    public static Optimizer Create(string name, float? lr = null) => name.ToLowerInvariant() switch
    {
        "sgd" => Sgd(lr ?? 0.01f),
        "momentum" => Momentum(lr ?? 0.01f),
        "nesterov" => Nesterov(lr ?? 0.01f),
        "adagrad" => AdaGrad(lr ?? 0.01f),
        "rmsprop" => RmsProp(lr ?? 0.01f),
        "adam" => Adam(lr ?? 0.001f),
        _ => throw new DeepGpuException($"Unknown optimizer '{name}': use one of {string.Join(", ", Names)}."),
    };

    public UpdateRule Rule { get; }
    public float LearningRate { get; }
    /// <summary>The momentum (Momentum, Nesterov), RMSprop's decay or Adam's β1: see <see cref="UpdateHyper"/>.</summary>
    public float FirstStateDecay { get; }
    /// <summary>Adam's β2.</summary>
    public float SecondStateDecay { get; }
    public float Epsilon { get; }

    /// <summary>Steps taken so far (Adam's t).</summary>
    public long Steps { get; private set; }

    public string Name => Rule.ToString().ToLowerInvariant();

    /// <summary>State buffers (empty for SGD), in a fixed order, for checkpoints.</summary>
    public IReadOnlyList<DeviceBuffer<float>> State => new[] { _firstState, _secondState }.OfType<DeviceBuffer<float>>().ToArray();

    private int StateBufferCount => Rule switch
    {
        UpdateRule.Sgd => 0,
        UpdateRule.Adam => 2,
        _ => 1,
    };

    /// <summary>True once <see cref="Bind"/> has allocated state for a backend.</summary>
    public bool IsBound => _backend is not null;

    /// <summary>Allocates zeroed state for <paramref name="parameterCount"/> parameters on a backend.</summary>
    public void Bind(Backend backend, int parameterCount)
    {
        _firstState?.Dispose();
        _secondState?.Dispose();
        _backend = backend;
        _firstState = StateBufferCount >= 1 ? backend.Allocate<float>(parameterCount) : null;
        _secondState = StateBufferCount >= 2 ? backend.Allocate<float>(parameterCount) : null;
        Steps = 0;
        Bindings++;
    }

    /// <summary>How many times <see cref="Bind"/> has allocated state (a recorded step must not outlive the buffers it names).</summary>
    public int Bindings { get; private set; }

    /// <summary>Restores the step count (checkpoints); state buffers are restored by the caller.</summary>
    public void RestoreSteps(long steps) => Steps = steps;

    /// <summary>
    /// Queues one update of p from g. With a step <paramref name="record"/> (whose next update count the caller set to
    /// <see cref="Steps"/> + 1), Adam's bias correction is computed on the device from the record, so the launch is the
    /// same every step.
    /// </summary>
    public void Step(BufferView<float> p, BufferView<float> g, StepRecord? record = null)
    {
        if (_backend is null) throw new InvalidOperationException("Bind the optimizer to a backend first.");
        Steps++;
        var lr = LearningRate;
        if (Rule == UpdateRule.Adam && record is null)
        {
            // The book's bias correction folded into the step size.
            lr = (float)(LearningRate * Math.Sqrt(1.0 - Math.Pow(SecondStateDecay, Steps)) / (1.0 - Math.Pow(FirstStateDecay, Steps)));
        }
        _backend.ApplyUpdate(Rule, new UpdateHyper(lr, FirstStateDecay, SecondStateDecay, Epsilon),
            new UpdateBuffers
            {
                Parameters = p, Gradients = g, FirstState = _firstState?.View ?? default, SecondState = _secondState?.View ?? default, Record = record,
            });
    }

    public override string ToString() => $"{Name} (lr {LearningRate})";

    public void Dispose()
    {
        _firstState?.Dispose();
        _secondState?.Dispose();
    }
}
