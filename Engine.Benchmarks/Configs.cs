using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace DeepGpu.Benchmarks;

/// <summary>The full config (BenchmarkDotNet's defaults) and <c>--smoke</c>, a CI run under a minute.</summary>
internal static class Configs
{
    /// <summary>True under --smoke: the parameter sources then offer one small case each.</summary>
    public static bool IsSmoke { get; private set; }

    public static IConfig Full() => DefaultConfig.Instance.AddColumn(new GflopsColumn());

    public static IConfig Smoke()
    {
        IsSmoke = true;
        // In-process so IsSmoke reaches the parameter sources; a few 100 ms iterations: proves it runs, roughly how fast.
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1)
            .WithIterationCount(3).WithIterationTime(TimeInterval.FromMilliseconds(100)).WithId("Smoke");
        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(new GflopsColumn())
            .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
            .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.Console)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>GFLOP/s from the mean time and the benchmark's <see cref="IFlops"/> count.</summary>
internal sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOPS";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Billions of floating-point operations per second (2 per multiply-add)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var mean = report?.ResultStatistics?.Mean;
        if (mean is null) return "-";
        var instance = Activator.CreateInstance(benchmarkCase.Descriptor.Type) as IFlops;
        if (instance is null) return "-";
        foreach (var p in benchmarkCase.Parameters.Items)
        {
            benchmarkCase.Descriptor.Type.GetProperty(p.Name)?.SetValue(instance, p.Value);
            benchmarkCase.Descriptor.Type.GetField(p.Name)?.SetValue(instance, p.Value);
        }
        var flops = instance.Flops(benchmarkCase.Descriptor.WorkloadMethod.Name);
        return flops <= 0 ? "-" : (flops / mean.Value).ToString("F1");  // flops per ns = GFLOP/s
    }
}

/// <summary>A benchmark that knows how many floating-point operations one call of a method does.</summary>
internal interface IFlops
{
    double Flops(string method);
}
