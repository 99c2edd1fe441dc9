using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;

namespace DeepGpu.Diagnostics;

/// <summary>
/// The book's gradient check (ch.5): backprop gradients against central differences of the loss, one
/// parameter at a time. Float32 loss limits the step: h = 1e-3 with a relative tolerance.
/// </summary>
public static class GradientChecker
{
    /// <summary>The loss of one training-mode forward pass (fixed seed and step, so dropout masks repeat).</summary>
    public static double Loss(Model model, float[] x, int[] labels)
    {
        var plan = model.GetPlan(labels.Length);
        model.Backend.Upload<float>(x, plan.Input);
        model.Backend.Upload<int>(labels, plan.Labels);
        plan.ResetMetrics();
        plan.Forward(new PassInfo(true, 7, 3));
        return plan.ReadMetrics().LossSum;
    }

    /// <summary>Backprop gradients of every parameter.</summary>
    public static float[] Analytic(Model model, float[] x, int[] labels)
    {
        Loss(model, x, labels);
        model.GetPlan(labels.Length).Backward();
        return model.GetGradients();
    }

    /// <summary>Central differences for the parameters at <paramref name="indices"/>.</summary>
    public static double[] Numerical(Model model, float[] x, int[] labels, IReadOnlyList<int> indices, float h)
    {
        var p = model.GetParameters();
        var result = new double[indices.Count];
        for (var k = 0; k < indices.Count; k++)
        {
            var i = indices[k];
            var saved = p[i];
            p[i] = saved + h;
            model.SetParameters(p);
            var plus = Loss(model, x, labels);
            p[i] = saved - h;
            model.SetParameters(p);
            var minus = Loss(model, x, labels);
            p[i] = saved;
            result[k] = (plus - minus) / (2 * h);
        }
        model.SetParameters(p);
        return result;
    }

    /// <summary>
    /// Checks up to <paramref name="perTensor"/> entries of every parameter tensor; returns a description of
    /// the mismatches (empty when all agree).
    /// </summary>
    public static List<string> Check(Model model, float[] x, int[] labels, int perTensor = 12, float h = 1e-3f, double rtol = 3e-2, double atol = 2e-4)
    {
        var analytic = Analytic(model, x, labels);
        var failures = new List<string>();
        foreach (var slot in model.Network.Parameters)
        {
            var step = Math.Max(1, slot.Length / perTensor);
            var indices = Enumerable.Range(0, slot.Length).Where(i => i % step == 0).Take(perTensor).Select(i => slot.Offset + i).ToList();
            var numeric = Numerical(model, x, labels, indices, h);
            for (var k = 0; k < indices.Count; k++)
            {
                var a = analytic[indices[k]];
                var n = numeric[k];
                if (Math.Abs(a - n) > atol + rtol * Math.Max(Math.Abs(a), Math.Abs(n)))
                {
                    failures.Add($"{slot.FullName}[{indices[k] - slot.Offset}]: backprop {a:G6}, numerical {n:G6}");
                }
            }
        }
        return failures;
    }

    /// <summary>Random inputs in [0, 1) and labels for a batch.</summary>
    public static (float[] X, int[] Labels) RandomBatch(NetworkSpec spec, int batch, int seed)
    {
        var rng = new Random(seed);
        var size = spec.Input.Aggregate(1, (a, b) => a * b);
        var x = new float[batch * size];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var labels = new int[batch];
        for (var i = 0; i < batch; i++) labels[i] = rng.Next(spec.Classes);
        return (x, labels);
    }
}
