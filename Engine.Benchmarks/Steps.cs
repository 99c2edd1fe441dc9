using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Benchmarks;

/// <summary>
/// One training step (forward, loss, backward, Adam) of the book's networks at batch 100, written directly
/// as backend ops, the way a compiled plan launches them: <c>quick step</c>. Comparable with libtorch's
/// per-step times; the graph itself adds no math.
/// </summary>
internal sealed class Steps : IDisposable
{
    private readonly CpuBackend backend;
    private readonly List<IDisposable> owned = [];
    private readonly List<(string Name, Action Op)> forward = [];
    private readonly List<(string Name, Action Op)> backward = [];
    private DeviceBuffer<float> activation;
    private DeviceBuffer<float> gradient;
    private int parameters;
    private readonly List<(int Offset, int Length)> slices = [];
    private readonly int batch;
    private int c, h, w, features;

    private Steps(CpuBackend backend, int batch, int channels, int height, int width)
    {
        this.backend = backend;
        this.batch = batch;
        (c, h, w, features) = (channels, height, width, channels * height * width);
        activation = Alloc(batch * features);
        gradient = Alloc(batch * features);
        backend.Fill(activation, 0.5f);
    }

    public static void Run()
    {
        using var backend = new CpuBackend();
        foreach (var (name, build) in new (string, Func<Steps>)[]
        {
            ("two-layer", () => new Steps(backend, 100, 1, 28, 28).Affine(50).Act(Activation.Sigmoid).Affine(10)),
            ("mlp 784-100x5-10", () => { var s = new Steps(backend, 100, 1, 28, 28); for (var i = 0; i < 5; i++) s.Affine(100).Act(Activation.Relu); return s.Affine(10); }),
            ("simple-convnet", () => new Steps(backend, 100, 1, 28, 28).Conv(30, 5, 0).Act(Activation.Relu).Pool().Affine(100).Act(Activation.Relu).Affine(10)),
            ("deep-convnet", () => new Steps(backend, 100, 1, 28, 28)
                .Conv(16, 3, 1).Act(Activation.Relu).Conv(16, 3, 1).Act(Activation.Relu).Pool()
                .Conv(32, 3, 1).Act(Activation.Relu).Conv(32, 3, 2).Act(Activation.Relu).Pool()
                .Conv(64, 3, 1).Act(Activation.Relu).Conv(64, 3, 1).Act(Activation.Relu).Pool()
                .Affine(50).Act(Activation.Relu).Dropout().Affine(10).Dropout()),
        })
        {
            using var steps = build().Finish();
            Console.WriteLine($"step {name,-17} {steps.Time(),7:F3} ms ({steps.parameters} parameters)");
            if (Environment.GetEnvironmentVariable("DEEPGPU_PROFILE") == "1") steps.Profile();
        }
    }

    private DeviceBuffer<float> Alloc(int length)
    {
        var buffer = backend.Allocate<float>(length);
        owned.Add(buffer);
        return buffer;
    }

    private int Param(int length)
    {
        slices.Add((parameters, length));
        parameters += length;
        return slices.Count - 1;
    }

    // Parameter views are resolved after Finish allocates the flat buffers.
    private DeviceBuffer<float>? p, g, m, v;
    private BufferView<float> P(int i) => p!.Slice(slices[i].Offset, slices[i].Length);
    private BufferView<float> G(int i) => g!.Slice(slices[i].Offset, slices[i].Length);

    private Steps Affine(int outputs)
    {
        var x = activation;
        var dx = gradient;
        var inputs = features;
        var wi = Param(inputs * outputs);
        var bi = Param(outputs);
        var y = Alloc(batch * outputs);
        var dy = Alloc(batch * outputs);
        forward.Add(("affine", () =>
        {
            backend.Gemm(false, false, batch, outputs, inputs, 1f, x, P(wi), 0f, y);
            backend.AddBias(y, P(bi), batch, outputs);
        }));
        backward.Insert(0, ("affine back", () =>
        {
            backend.Gemm(true, false, inputs, outputs, batch, 1f, x, dy, 0f, G(wi));
            backend.BiasGradient(dy, G(bi), batch, outputs);
            backend.Gemm(false, true, batch, inputs, outputs, 1f, dy, P(wi), 0f, dx);
        }));
        (activation, gradient, features, c, h, w) = (y, dy, outputs, outputs, 1, 1);
        return this;
    }

    private Steps Act(Activation kind)
    {
        var x = activation;
        var dx = gradient;
        forward.Add(("ActivationForward", () => backend.ActivationForward(kind, x, x)));
        backward.Insert(0, ("ActivationBackward", () => backend.ActivationBackward(kind, x, dx, dx)));
        return this;
    }

    private Steps Dropout()
    {
        var x = activation;
        var dx = gradient;
        var mask = Alloc(x.Length);
        forward.Add(("DropoutForward", () => backend.DropoutForward(x, x, mask, 0.5f, 1, 0)));
        backward.Insert(0, ("Multiply", () => backend.Multiply(dx, mask, dx)));
        return this;
    }

    private Steps Conv(int filters, int kernel, int pad)
    {
        var geometry = new ConvolutionGeometry(batch, c, h, w, filters, kernel, kernel, 1, pad);
        var x = activation;
        var dx = c == 1 && h == 28 ? default : gradient.View;  // the first layer needs no dx
        var wi = Param(geometry.WeightLength);
        var bi = Param(filters);
        var y = Alloc(geometry.OutputLength);
        var dy = Alloc(geometry.OutputLength);
        var ws = Alloc((int)backend.ConvolutionWorkspaceLength(geometry));
        forward.Add(("ConvolutionForward", () => backend.ConvolutionForward(geometry, x, P(wi), P(bi), y, ws)));
        backward.Insert(0, ("ConvolutionBackward", () => backend.ConvolutionBackward(geometry, x, P(wi), dy, dx, G(wi), G(bi), ws)));
        (activation, gradient, c, h, w) = (y, dy, filters, geometry.OutH, geometry.OutW);
        features = c * h * w;
        return this;
    }

    private Steps Pool()
    {
        var geometry = new PoolingGeometry(batch, c, h, w, 2, 2, 0);
        var x = activation;
        var dx = gradient;
        var y = Alloc(geometry.OutputLength);
        var dy = Alloc(geometry.OutputLength);
        var argmax = backend.Allocate<int>(geometry.OutputLength);
        owned.Add(argmax);
        forward.Add(("PoolingForward", () => backend.PoolingForward(PoolingMode.Max, geometry, x, y, argmax)));
        backward.Insert(0, ("PoolingBackward", () => backend.PoolingBackward(PoolingMode.Max, geometry, dy, argmax, dx)));
        (activation, gradient, h, w) = (y, dy, geometry.OutH, geometry.OutW);
        features = c * h * w;
        return this;
    }

    private Steps Finish()
    {
        p = Alloc(parameters);
        g = Alloc(parameters);
        m = Alloc(parameters);
        v = Alloc(parameters);
        backend.Fill(p, 0.01f);
        var logits = activation;
        var dlogits = gradient;
        var probabilities = Alloc(logits.Length);
        var loss = Alloc(1);
        var labels = backend.Allocate<int>(batch);
        owned.Add(labels);
        forward.Add(("SoftmaxCrossEntropy", () => backend.SoftmaxCrossEntropy(logits, labels, probabilities, loss, batch, 10)));
        backward.Insert(0, ("SoftmaxCrossEntropyBackward", () => backend.SoftmaxCrossEntropyBackward(probabilities, labels, dlogits, batch, 10)));
        backward.Add(("ApplyUpdate", () => backend.ApplyUpdate(UpdateRule.Adam, new UpdateHyper(1e-3f, 0.9f, 0.999f), p, g, m, v)));
        return this;
    }

    private double Time()
    {
        void Step()
        {
            foreach (var op in forward) op.Op();
            foreach (var op in backward) op.Op();
            backend.Synchronize();
        }
        for (var i = 0; i < 5; i++) Step();
        var best = double.MaxValue;
        for (var trial = 0; trial < 7; trial++)
        {
            var reps = 0;
            var sw = Stopwatch.StartNew();
            do
            {
                Step();
                reps++;
            } while (sw.ElapsedMilliseconds < 200);
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / reps);
        }
        return best;
    }

    // Milliseconds per op kind in one step (best of several steps), to see where a step goes.
    private void Profile()
    {
        var totals = new Dictionary<string, double>();
        for (var rep = 0; rep < 20; rep++)
        {
            var step = new Dictionary<string, double>();
            foreach (var (name, op) in forward.Concat(backward))
            {
                var sw = Stopwatch.StartNew();
                op();
                step[name] = step.GetValueOrDefault(name) + sw.Elapsed.TotalMilliseconds;
            }
            foreach (var (name, ms) in step) totals[name] = Math.Min(totals.GetValueOrDefault(name, double.MaxValue), ms);
        }
        foreach (var (name, ms) in totals.OrderByDescending(t => t.Value)) Console.WriteLine($"    {name,-28} {ms,7:F3} ms");
    }

    public void Dispose()
    {
        foreach (var buffer in owned) buffer.Dispose();
    }
}
