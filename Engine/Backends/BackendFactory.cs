namespace DeepGpu.Backends;
// TEMPORARY stand-in until the ilgpu branch merges.
public sealed record DeviceReport(string Name, string Backend, bool Accepted, string Reason);
public static class BackendFactory
{
    public static Backend Create(string name) => name is "cpu" or "auto" ? new Cpu.CpuBackend() : throw new DeepGpuException($"Unknown backend '{name}'.");
    public static IReadOnlyList<DeviceReport> Probe() => [new("managed CPU", "cpu", true, "")];
    public static (string Backend, string Why) ChooseAuto() => ("cpu", "no GPU found");
}
