using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace DeepGpu.Backends.Cpu;

/// <summary>What the cpu backend knows about the processor it runs on, for <c>deepgpu devices</c> and <c>bench</c>.</summary>
public static class CpuMachine
{
    /// <summary>The processor's name: CPUID's brand string on x86, /proc/cpuinfo elsewhere, else the architecture.</summary>
    public static string Model { get; } = ReadModel();

    /// <summary>
    /// Lines describing the model, caches, tier, GEMM blocking and, when <paramref name="peaks"/> are given, the measured
    /// FMA peak per tier, against which the GEMM's GFLOP/s can be judged.
    /// </summary>
    public static IEnumerable<string> Describe(IReadOnlyList<FmaPeak>? peaks)
    {
        yield return $"cpu: {Model}, {Environment.ProcessorCount} cores for this process";
        yield return $"cpu caches: {CpuCaches.Machine}";
        var best = CpuTiers.Best;
        var blocking = Sgemm.Blocking(best);
        yield return $"cpu tier: {best} (the widest this processor accelerates), GEMM blocking KC {blocking.KC}, MC {blocking.MC}, NC {blocking.NC} from the caches";
        if (peaks is null) yield break;
        foreach (var p in peaks)
        {
            yield return $"cpu FP32 FMA peak, {p.Tier} (measured): {p.OneCore:F0} GFLOP/s on one core, {p.AllCores:F0} on {p.Cores}";
        }
    }

    private static string ReadModel()
    {
        if (X86Base.IsSupported && (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x80000004)
        {
            var bytes = new byte[48];
            for (var i = 0; i < 3; i++)
            {
                var (a, b, c, d) = X86Base.CpuId(unchecked((int)0x80000002) + i, 0);
                foreach (var (reg, at) in new[] { (a, 0), (b, 4), (c, 8), (d, 12) }) BitConverter.TryWriteBytes(bytes.AsSpan(16 * i + at), reg);
            }
            var brand = Encoding.ASCII.GetString(bytes).TrimEnd('\0').Trim();
            if (brand.Length > 0) return Describe(brand);
        }
        try
        {
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            if (line is not null) return Describe(line[(line.IndexOf(':') + 1)..].Trim());
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    // The brand string, plus family and model on x86 (a virtual machine's brand can be as bare as "AMD EPYC").
    private static string Describe(string brand)
    {
        if (!X86Base.IsSupported) return brand;
        var eax = X86Base.CpuId(1, 0).Eax;
        int family = (eax >> 8) & 0xF, model = (eax >> 4) & 0xF;
        if (family == 0xF) family += (eax >> 20) & 0xFF;
        if (family is 0x6 or >= 0xF) model += ((eax >> 16) & 0xF) << 4;
        return $"{brand} (family {family}, model {model})";
    }
}
