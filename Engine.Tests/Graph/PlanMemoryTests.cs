using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Graph;
using DeepGpu.Models;

namespace DeepGpu.Tests.Graph;

/// <summary>Device memory around plans: a plan that fails half-built frees what it took, and a model keeps a bounded number of plans.</summary>
public sealed class PlanMemoryTests
{
    private static long PlanBytes(Model model, int batch, bool withLabels)
    {
        var before = model.Backend.LiveBytes;
        using var plan = new Plan(model.Network, model.Backend, batch, model.Parameters, model.Gradients, model.State, withLabels);
        return model.Backend.LiveBytes - before;
    }

    [Fact]
    public void A_plan_that_runs_out_of_memory_at_any_allocation_frees_what_it_had_allocated()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.DeepConvNet(), backend);
        var (bytes, buffers) = (backend.LiveBytes, backend.LiveBuffers);
        var full = PlanBytes(model, 7, withLabels: true);
        Assert.Equal((bytes, buffers), (backend.LiveBytes, backend.LiveBuffers));

        // Limits that cut the plan off at successive allocations; every one fails cleanly and leaves nothing behind.
        var failedAt = new HashSet<string>();
        for (var i = 0; i < 60; i++)
        {
            backend.MemoryLimit = bytes + full * i / 60;
            var e = Assert.Throws<DeviceOutOfMemoryException>(() =>
            {
                using var plan = new Plan(model.Network, backend, 7, model.Parameters, model.Gradients, model.State);
            });
            Assert.Equal((bytes, buffers), (backend.LiveBytes, backend.LiveBuffers));
            Assert.EndsWith("for batch 7", e.What);
            failedAt.Add(e.What);
        }
        Assert.True(failedAt.Count >= 10, $"the limits cut the plan at only {failedAt.Count} different allocations: {string.Join(", ", failedAt)}");
        backend.MemoryLimit = null;
        using var works = new Plan(model.Network, backend, 7, model.Parameters, model.Gradients, model.State);
    }

    [Fact]
    public void Out_of_memory_names_what_was_allocated_its_size_and_what_was_free()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.SimpleConvNet(), backend);
        backend.MemoryLimit = backend.LiveBytes + 1000;
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => model.GetPlan(100));
        Assert.Equal("the input batch for batch 100", e.What);
        Assert.Equal(100 * 784 * 4, e.Bytes);
        Assert.Equal(1000, e.FreeBytes);
        Assert.Equal($"Out of memory on {backend.DeviceName}: allocating the input batch for batch 100 (306.3 KiB) failed with 1000 B free; a smaller batch needs less.", e.Message);
    }

    [Fact]
    public void A_batch_too_large_for_one_buffer_is_refused_with_a_sentence()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.DeepConvNet(), backend);
        var modelBytes = backend.LiveBytes;
        var e = Assert.Throws<DeepGpuException>(() => model.GetPlan(1_000_000));
        Assert.StartsWith("Batch 1000000 needs ", e.Message);
        Assert.Contains("more than one buffer holds", e.Message);
        Assert.Equal(modelBytes, backend.LiveBytes);
    }

    [Fact]
    public void Classifying_a_thousand_random_batch_sizes_keeps_device_memory_bounded()
    {
        using var backend = new CpuBackend();
        using var model = Model.Create(Networks.SimpleConvNet(), backend);
        var modelBytes = backend.LiveBytes;
        // The bound: the model itself, plus at most PlanCacheSize inference plans of the largest batch asked for.
        const int largest = 40;
        var bound = modelBytes + Model.PlanCacheSize * PlanBytes(model, largest, withLabels: false);
        var random = new Random(7);
        long peak = 0;
        for (var i = 0; i < 1000; i++)
        {
            var n = random.Next(1, largest + 1);
            var inputs = Enumerable.Range(0, n).Select(_ => new float[784]).ToList();
            Assert.Equal(n, model.Classify(inputs).Count);
            peak = Math.Max(peak, backend.LiveBytes);
        }
        Assert.True(peak <= bound, $"device memory peaked at {peak:N0} bytes, over the bound {bound:N0}");
        Assert.True(backend.LiveBuffers < 3 + Model.PlanCacheSize * 20, $"{backend.LiveBuffers} buffers live");
    }
}
