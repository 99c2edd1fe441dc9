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
    public DeviceBuffer<byte> Images { get; }
    public DeviceBuffer<byte> Labels { get; }

    /// <summary>The order in which batches are gathered (a shuffle per epoch for training).</summary>
    public DeviceBuffer<int> Order { get; }

    /// <summary>Uploads a new gather order (once per epoch, never per step).</summary>
    public void SetOrder(int[] order) => Backend.Upload<int>(order, Order);

    /// <summary>Queues the gather of samples order[start .. start+count) into x (scaled to [0, 1]) and y.</summary>
    public void Gather(int start, int count, BufferView<float> x, BufferView<int> y) =>
        Backend.GatherBatch(Images, Labels, Order, start, count, SampleShape.Size, 1f / 255f, x, y);

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        Order.Dispose();
    }
}
