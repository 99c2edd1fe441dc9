using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Tensors;

namespace DeepGpu.Training;

/// <summary>
/// A labelled image set uploaded to a backend once as bytes (a quarter of the floats' size); batches are
/// gathered and normalised on the device through an index order.
/// </summary>
public sealed class DeviceDataset : IDisposable
{
    public DeviceDataset(Backend backend, Dataset data)
    {
        Backend = backend;
        Count = data.Count;
        SampleShape = data.SampleShape;
        Source = data.Source;
        HighestLabel = data.Count == 0 ? -1 : System.Numerics.Tensors.TensorPrimitives.Max<byte>(data.Labels);
        Images = backend.Allocate<byte>(data.Images.Length);
        Labels = backend.Allocate<byte>(data.Labels.Length);
        Order = backend.Allocate<int>(data.Count);
        backend.Upload<byte>(data.Images, Images);
        backend.Upload<byte>(data.Labels, Labels);
        SetOrder(Enumerable.Range(0, data.Count).ToArray());
    }

    public Backend Backend { get; }
    public int Count { get; }
    public Shape SampleShape { get; }
    public string Source { get; }

    /// <summary>The largest label in the set (−1 when it is empty).</summary>
    public int HighestLabel { get; }
    public DeviceBuffer<byte> Images { get; }
    public DeviceBuffer<byte> Labels { get; }

    /// <summary>The order in which batches are gathered (a shuffle per epoch for training).</summary>
    public DeviceBuffer<int> Order { get; }

    /// <summary>
    /// Refuses a set whose labels do not fit a network with <paramref name="outputs"/> classes: the loss ops read
    /// the output at each label, so a larger label would read past the row.
    /// </summary>
    /// <exception cref="DeepGpuException">A label is <paramref name="outputs"/> or more.</exception>
    public void RequireLabelsBelow(int outputs)
    {
        if (HighestLabel >= outputs)
        {
            throw new DeepGpuException($"{Source} has label {HighestLabel}, but the network has {outputs} outputs, so labels must be below {outputs}.");
        }
    }

    /// <summary>Uploads a new gather order (once per epoch, never per step).</summary>
    public void SetOrder(int[] order) => Backend.Upload<int>(order, Order);

    /// <summary>Queues the gather of samples order[start .. start+count) into x (scaled to [0, 1]) and y.</summary>
    public void Gather(int start, int count, BufferView<float> x, BufferView<int> y) => Gather(start, count, x, y, null);

    /// <summary>Queues the gather of the batch at the step record's next start, which begins the record's next step.</summary>
    public void Gather(int count, BufferView<float> x, BufferView<int> y, StepRecord record) => Gather(0, count, x, y, record);

    private void Gather(int start, int count, BufferView<float> x, BufferView<int> y, StepRecord? record) =>
        Backend.GatherBatch(new GatherBatchArgs
        {
            Images = Images, Labels = Labels, Order = Order, Start = start, Count = count, SampleLength = SampleShape.Size, Scale = 1f / 255f,
            X = x, Y = y, Record = record,
        });

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        Order.Dispose();
    }
}
