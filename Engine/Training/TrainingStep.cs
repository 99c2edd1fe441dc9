using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Optimizers;

namespace DeepGpu.Training;

/// <summary>
/// One training step of a model on a device dataset, as a fixed list of launches: gather the batch (and augment
/// it), forward, backward, weight decay, update. <see cref="Run"/> only queues work: no allocation, no host copy,
/// no synchronisation (tests pin this with <see cref="Backend.Counters"/>). What a <see cref="Trainer"/> runs per step.
/// </summary>
/// <remarks>
/// What changes from step to step (the batch's start, the dropout and augmentation counters, Adam's t) lives in a
/// <see cref="StepRecord"/> that the kernels read, so every step queues the same launches with the same arguments.
/// Where the backend can (<see cref="Backend.StepGraphs"/>: CUDA), the first step is recorded as a CUDA graph and later
/// steps replay it; the recording is made again when the optimizer's state is allocated anew or the plan's rounding changes. The batch size is fixed
/// per step object (a trainer drops a partial last batch), so it never changes a recording.
/// </remarks>
public sealed class TrainingStep : IDisposable
{
    private readonly ITrainable _model;
    private readonly Optimizer _optimizer;
    private readonly TrainerOptions _options;
    private readonly DeviceDataset _data;
    private readonly Backend _backend;
    private readonly DeviceBuffer<float>? _staging;
    private readonly BufferView<float> _weights;
    private readonly BufferView<float> _weightGrads;
    private readonly (int C, int H, int W) _image;
    private readonly StepRecord _record;
    private RecordedStep? _recorded;
    private (int Bindings, bool RoundToHalf) _recordedFor;
    private bool _recordingFailed;
    private bool _queuedOnce;

    /// <summary>Compiles (or reuses) the model's plan for the batch size, binds the optimizer and allocates what augmentation needs.</summary>
    public TrainingStep(ITrainable model, Optimizer optimizer, TrainerOptions options, DeviceDataset data)
    {
        _model = model;
        _optimizer = optimizer;
        _options = options;
        _data = data;
        _backend = model.Backend;
        Plan = model.GetPlan(options.BatchSize);
        _staging = options.Augment is null ? null : _backend.Allocate<float>(Plan.Input.Length);
        if (!optimizer.IsBound) optimizer.Bind(_backend, model.Network.ParameterCount);
        _weights = model.Parameters.Slice(0, model.Network.WeightCount);
        _weightGrads = model.Gradients.Slice(0, model.Network.WeightCount);
        var shape = model.Network.InputShape;
        _image = shape.Rank == 3 ? shape.AsImage() : (1, 1, shape.Size);
        _record = new StepRecord(_backend, options.BatchSize, data.Count);
        _record.SetNext(0, 0, optimizer.Steps + 1);
        GraphStatus = _backend.StepGraphs.Reason;
    }

    /// <summary>The plan the step runs (its metrics collect the steps' loss and correct count).</summary>
    public Plan Plan { get; }

    /// <summary>True once steps replay a recorded CUDA graph.</summary>
    public bool RunsAsGraph => _recorded is not null;

    /// <summary>Queue every step's launches, never a recording (to compare the two).</summary>
    internal bool PlainLaunches { get; init; }

    /// <summary>How steps run: as a replayed CUDA graph, or why not (in words).</summary>
    public string GraphStatus { get; private set; }

    /// <summary>Queues the step that trains on the batch at <paramref name="start"/> of the data's order; <paramref name="global"/> numbers the step (dropout, augmentation).</summary>
    public void Run(int start, ulong global)
    {
        _record.SetNext(global, start, _optimizer.Steps + 1);
        if (_recorded is not null && _recordedFor != (_optimizer.Bindings, Plan.RoundToHalf))
        {
            _recorded.Dispose();
            _recorded = null;
        }
        // The first step runs as plain launches: what a backend makes on first use (split-K's workspace) must exist
        // before recording, since nothing may be allocated or synchronised while a stream is being recorded.
        if (_recorded is null && _queuedOnce && !_recordingFailed && !PlainLaunches && _backend.StepGraphs.Available)
        {
            var steps = _optimizer.Steps;
            _recorded = _backend.TryRecord(Queue, out var reason);
            // Recording queued nothing that ran; the optimizer's count goes back and the step runs below.
            _optimizer.RestoreSteps(steps);
            _recordedFor = (_optimizer.Bindings, Plan.RoundToHalf);
            _recordingFailed = _recorded is null;
            GraphStatus = reason;
        }
        if (_recorded is null)
        {
            if (PlainLaunches) GraphStatus = "plain launches, as asked";
            Queue();
            _queuedOnce = true;
        }
        else
        {
            _recorded.Replay();
            _optimizer.RestoreSteps(_optimizer.Steps + 1);
        }
        _record.Advanced();
    }

    /// <summary>The step's launches: each reads what changes between steps from the record.</summary>
    private void Queue()
    {
        var batch = _options.BatchSize;
        if (_staging is null)
        {
            _data.Gather(batch, Plan.Input, Plan.Labels, _record);
        }
        else
        {
            _data.Gather(batch, _staging, Plan.Labels, _record);
            _backend.Augment(_staging, Plan.Input, batch, _image.C, _image.H, _image.W, _options.Augment!.Value, _options.Seed,
                new StepCounter(0, 1, _record));
        }
        Plan.Forward(new PassInfo(true, _options.Seed, _record.Next.Step, _record));
        Plan.Backward();
        if (_options.WeightDecay > 0 && _weights.Length > 0)
        {
            _backend.AddScaled(_weights, _options.WeightDecay, _weightGrads);
            _backend.SumOfSquares(_weights, 0.5f * _options.WeightDecay, Plan.LossSum);
        }
        _optimizer.Step(_model.Parameters, _model.Gradients, _record);
    }

    public void Dispose()
    {
        _recorded?.Dispose();
        _record.Dispose();
        _staging?.Dispose();
    }
}
