namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu check: every op on a backend against the scalar reference and by numerical gradient.</summary>
internal sealed class CheckCommand : ICommand
{
    public string Name => "check";
    public string Summary => "check every op on a backend against the scalar reference and numerical gradients";
    public string Usage => """
        usage: deepgpu check [--backend B]
          --backend B   auto (default), cuda, opencl, ilgpu-cpu, cpu
        exits 1 if any check fails

        """;

    public int Run(IReadOnlyList<string> args, Console2 console) => throw new DeepGpuException("check is not available yet.");
}
