using System.CommandLine;
using DeepGpu.Backends;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu devices: every device found, which one auto would use, and why any was rejected.</summary>
internal sealed class DevicesCommand() : CliCommand("devices", "list the devices found and which one --backend auto would use")
{
    public override int Run(ParseResult parse, Terminal terminal)
    {
        var reports = BackendFactory.Probe();
        terminal.Out.WriteLine($"{"backend",-10} {"device",-44} status");
        foreach (var r in reports)
        {
            terminal.Out.WriteLine($"{r.Backend,-10} {Truncate(r.Name, 44),-44} {(r.Accepted ? "usable" : "rejected: " + r.Reason)}");
        }
        var (picked, why) = BackendFactory.ChooseAuto();
        terminal.Out.WriteLine($"auto: {picked}, because {why}");
        return 0;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
