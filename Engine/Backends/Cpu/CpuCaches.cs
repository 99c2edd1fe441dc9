// The data caches of this machine, read once: Linux's sysfs where it exists, else CPUID (leaf 4 on Intel,
// 0x8000001D on AMD). The GEMM derives its blocking from them (GemmBlocking), so it fits the machine it runs on.
using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace DeepGpu.Backends.Cpu;

/// <summary>Per-core data cache sizes in bytes (L3: this core's share) and where they were read.</summary>
/// <param name="Source">sysfs, cpuid, or assumed (neither could be read).</param>
public sealed record CpuCaches(long L1Data, long L2, long L3PerCore, string Source)
{
    /// <summary>Sizes of a common desktop core, used where the machine cannot be read.</summary>
    public static CpuCaches Assumed { get; } = new(32 << 10, 512 << 10, 2 << 20, "assumed");

    /// <summary>This machine's caches, read on first use.</summary>
    public static CpuCaches Machine { get; } = Read();

    /// <summary>The caches as sysfs, then CPUID, describe them; <see cref="Assumed"/> where neither does.</summary>
    public static CpuCaches Read()
    {
        try
        {
            return FromSysfs("/sys/devices/system/cpu/cpu0/cache") ?? FromCpuid() ?? Assumed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return FromCpuid() ?? Assumed;
        }
    }

    /// <summary>The caches a sysfs cache directory (index0..N, each with level, type, size, shared_cpu_list) describes.</summary>
    internal static CpuCaches? FromSysfs(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var levels = new List<(int Level, long Bytes, int Sharing)>();
        foreach (var index in Directory.GetDirectories(directory, "index*"))
        {
            string Text(string name) => File.ReadAllText(Path.Combine(index, name)).Trim();
            if (!File.Exists(Path.Combine(index, "size")) || Text("type") == "Instruction") continue;
            var sharing = File.Exists(Path.Combine(index, "shared_cpu_list")) ? CountCpus(Text("shared_cpu_list")) : 1;
            levels.Add((int.Parse(Text("level"), CultureInfo.InvariantCulture), ParseSize(Text("size")), sharing));
        }
        return FromLevels(levels, "sysfs");
    }

    /// <summary>
    /// CPUID's deterministic cache leaves: 4 on Intel, 0x8000001D on AMD (and Hygon); on AMD, where a hypervisor
    /// leaves 0x8000001D empty, the older 0x80000005/6 leaves.
    /// </summary>
    internal static CpuCaches? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        var (_, vb, vc, vd) = X86Base.CpuId(0, 0);
        var vendor = Vendor(vb, vd, vc);
        var amd = vendor is "AuthenticAMD" or "HygonGenuine";
        var maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        if (vendor == "GenuineIntel") return FromDeterministicLeaf(4);
        if (!amd) return null;
        return (maxExtended >= 0x8000001D ? FromDeterministicLeaf(unchecked((int)0x8000001D)) : null)
            ?? (maxExtended >= 0x80000006 ? FromAmdLegacy() : null);
    }

    private static CpuCaches? FromAmdLegacy()
    {
        var l1 = (long)(((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) << 10);
        var (_, _, c6, d6) = X86Base.CpuId(unchecked((int)0x80000006), 0);
        var l2 = (long)(((uint)c6 >> 16) << 10);
        // L3 in 512 KB units; these leaves don't say how many cores share it, so split it among the cores we have.
        var l3 = (long)((uint)d6 >> 18) * (512 << 10);
        return FromLevels([(1, l1, 1), (2, l2, 1), (3, l3, Environment.ProcessorCount)], "cpuid");
    }

    private static CpuCaches? FromDeterministicLeaf(int leaf)
    {
        var levels = new List<(int Level, long Bytes, int Sharing)>();
        for (var sub = 0; sub < 16; sub++)
        {
            var (a, b, c, _) = X86Base.CpuId(leaf, sub);
            var type = a & 0x1F;
            if (type == 0) break;
            if (type == 2) continue; // instruction cache
            levels.Add(((a >> 5) & 7, CpuidCacheBytes(b, c), ((a >> 14) & 0xFFF) + 1));
        }
        return FromLevels(levels, "cpuid");
    }

    /// <summary>Bytes of one cache from CPUID's EBX (ways, partitions, line size, each minus one) and ECX (sets minus one).</summary>
    internal static long CpuidCacheBytes(int ebx, int ecx) =>
        (long)(((ebx >> 22) & 0x3FF) + 1) * (((ebx >> 12) & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * ((long)(uint)ecx + 1);

    private static CpuCaches? FromLevels(List<(int Level, long Bytes, int Sharing)> levels, string source)
    {
        long Size(int level, bool perCore) => levels.Where(l => l.Level == level && l.Bytes > 0)
            .Select(l => perCore ? l.Bytes / Math.Max(1, l.Sharing) : l.Bytes).DefaultIfEmpty(0).Max();
        long l1 = Size(1, false), l2 = Size(2, false), l3 = Size(3, true);
        if (l1 <= 0 || l2 <= 0) return null;
        return new CpuCaches(l1, l2, l3 > 0 ? l3 : l2, source);
    }

    private static string Vendor(int b, int d, int c)
    {
        Span<byte> bytes = stackalloc byte[12];
        BitConverter.TryWriteBytes(bytes, b);
        BitConverter.TryWriteBytes(bytes[4..], d);
        BitConverter.TryWriteBytes(bytes[8..], c);
        return System.Text.Encoding.ASCII.GetString(bytes);
    }

    /// <summary>"48K", "2048K", "32M" or plain bytes.</summary>
    internal static long ParseSize(string text)
    {
        var unit = text.Length > 0 ? char.ToUpperInvariant(text[^1]) : ' ';
        var scale = unit switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L };
        var digits = char.IsDigit(unit) ? text : text[..^1];
        return long.Parse(digits, CultureInfo.InvariantCulture) * scale;
    }

    /// <summary>CPUs in a list like "0-3,8,10-11".</summary>
    internal static int CountCpus(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Sum(part =>
        {
            var dash = part.IndexOf('-');
            return dash < 0 ? 1 : int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture) - int.Parse(part[..dash], CultureInfo.InvariantCulture) + 1;
        });

    /// <inheritdoc />
    public override string ToString() =>
        $"L1d {L1Data >> 10} KB, L2 {L2 >> 10} KB, L3 {L3PerCore >> 10} KB per core ({Source})";
}
