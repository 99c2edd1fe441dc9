using System.CommandLine;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu devices: every device found, which one auto would use, why any was rejected, and the processor's measured peak.</summary>
internal sealed class DevicesCommand() : CliCommand("devices", "list the devices found and which one --backend auto would use")
{
    public override string Details => """
        Also describes the processor: its caches, the SIMD tier and GEMM blocking the cpu backend uses, and the
        FP32 FMA peak of each vector tier, measured on one core and on all (about a second), and whether training
        steps on CUDA would run as CUDA graphs, or why not.

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var reports = BackendFactory.Probe();
        terminal.Out.WriteLine($"{"backend",-10} {"device",-44} status");
        foreach (var r in reports)
        {
            terminal.Out.WriteLine($"{r.Backend,-10} {Truncate(r.Name, 44),-44} {(r.Accepted ? "usable" : "rejected: " + r.Reason)}");
        }
        foreach (var line in CpuMachine.Describe(FmaPeak.MeasureAll())) terminal.Out.WriteLine(line);
        var (picked, why) = BackendFactory.ChooseAuto();
        terminal.Out.WriteLine($"auto: {picked}, because {why}");
        var graphs = IlgpuBackend.CudaStepGraphs(reports.Any(r => r.Backend == "cuda" && r.Accepted));
        terminal.Out.WriteLine($"training steps as CUDA graphs: {BenchCommand.GraphLine(graphs)}");
        return 0;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
