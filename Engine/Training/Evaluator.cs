using DeepGpu.Data;
using DeepGpu.Layers;

namespace DeepGpu.Training;

/// <summary>Loss and accuracy of a trainable network over a labelled set, summed on the device.</summary>
public static class Evaluator
{
    /// <summary>Loss and accuracy over a dataset already on the device, in batches of up to <paramref name="batch"/>.</summary>
    /// <exception cref="DeepGpuException">A label does not fit the network's outputs.</exception>
    public static (double Loss, double Accuracy) Evaluate(this ITrainable model, DeviceDataset data, int batch = 500)
    {
        data.RequireLabelsBelow(model.Network.Classes);
        double loss = 0, correct = 0;
        var full = data.Count / batch;
        // Metrics stay on the device across batches of one size: one read per plan, not per batch.
        foreach (var (start, count, n) in new[] { (0, full, batch), (full * batch, 1, data.Count - full * batch) })
        {
            if (count == 0 || n == 0) continue;
            var plan = model.GetPlan(n);
            plan.ResetMetrics();
            for (var i = 0; i < count; i++)
            {
                data.Gather(start + i * n, n, plan.Input, plan.Labels);
                plan.Forward(new PassInfo(false, 0, 0));
            }
            var m = plan.ReadMetrics();
            loss += m.LossSum * n;
            correct += m.Correct;
        }
        return (loss / data.Count, correct / data.Count);
    }

    /// <summary>Loss and accuracy over a dataset (uploaded for the call).</summary>
    public static (double Loss, double Accuracy) Evaluate(this ITrainable model, Dataset data, int batch = 500)
    {
        using var device = new DeviceDataset(model.Backend, data);
        return Evaluate(model, device, batch);
    }
}
