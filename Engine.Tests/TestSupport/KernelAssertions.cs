using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// Turns a failed assertion inside a kernel on ILGPU's CPU simulator (an out-of-bounds index into an array view)
/// into a test failure instead of the end of the test process: the default trace listener calls FailFast, on
/// the simulator's own thread where no test could catch an exception. The failure is recorded here and the op
/// tests read it when each test ends (<see cref="ThrowIfAny"/>).
/// </summary>
public static class KernelAssertions
{
    private static readonly ConcurrentQueue<string> _failures = new();

#pragma warning disable CA2255 // a test assembly installs its listener before any test runs
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Install()
    {
        Trace.Listeners.Clear();
        Trace.Listeners.Add(new Recorder());
    }

    /// <summary>Takes the assertions that failed since the last call.</summary>
    public static List<string> Take()
    {
        var taken = new List<string>();
        while (_failures.TryDequeue(out var f)) taken.Add(f);
        return taken;
    }

    /// <summary>Throws when a kernel failed an assertion since the last call, naming the first ones.</summary>
    public static void ThrowIfAny()
    {
        var failures = Take();
        if (failures.Count > 0) throw new Xunit.Sdk.XunitException($"{failures.Count} kernel assertion(s) failed: {string.Join(" | ", failures.Take(3))}");
    }

    private sealed class Recorder : TraceListener
    {
        public override void Write(string? message) { }

        public override void WriteLine(string? message) { }

        public override void Fail(string? message, string? detailMessage) =>
            _failures.Enqueue(string.IsNullOrEmpty(detailMessage) ? message ?? "assertion failed" : $"{message}: {detailMessage}");
    }
}
