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
    }

    /// <summary>The plan the step runs (its metrics collect the steps' loss and correct count).</summary>
    public Plan Plan { get; }

    /// <summary>Queues the step that trains on the batch at <paramref name="start"/> of the data's order; <paramref name="global"/> numbers the step (dropout, augmentation).</summary>
    public void Run(int start, ulong global)
    {
        var batch = _options.BatchSize;
        if (_staging is null)
        {
            _data.Gather(start, batch, Plan.Input, Plan.Labels);
        }
        else
        {
            _data.Gather(start, batch, _staging, Plan.Labels);
            _backend.Augment(_staging, Plan.Input, batch, _image.C, _image.H, _image.W, _options.Augment!.Value, _options.Seed, global);
        }
        Plan.Forward(new PassInfo(true, _options.Seed, global));
        Plan.Backward();
        if (_options.WeightDecay > 0 && _weights.Length > 0)
        {
            _backend.AddScaled(_weights, _options.WeightDecay, _weightGrads);
            _backend.SumOfSquares(_weights, 0.5f * _options.WeightDecay, Plan.LossSum);
        }
        _optimizer.Step(_model.Parameters, _model.Gradients);
    }

    public void Dispose() => _staging?.Dispose();
}
