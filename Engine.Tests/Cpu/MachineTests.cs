using System.Runtime.Intrinsics.X86;
using DeepGpu.Backends.Cpu;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>Reading the machine (caches, FMA peak) and deriving the GEMM's blocking from it.</summary>
public class MachineTests
{
    private const long K = 1 << 10, M = 1 << 20;

    [Theory]
    [InlineData(48 * K, 1 * M, 32 * M, 8, 32, 256, 512, 4096)]   // AVX-512 tile, 48 KB L1d, 1 MB L2
    [InlineData(48 * K, 2 * M, 2 * M, 8, 32, 256, 1024, 1024)]    // 2 MB L2; a 2 MB L3 share limits NC
    [InlineData(32 * K, 512 * K, 4 * M, 8, 32, 160, 408, 3264)]   // 32 KB L1d: a shallower slice
    [InlineData(32 * K, 256 * K, 1 * M, 6, 16, 304, 102, 416)]    // AVX2 tile: narrower B sliver, deeper slice
    [InlineData(4 * K, 16 * K, 64 * K, 8, 32, 64, 32, 256)]       // tiny caches: the lower bounds
    [InlineData(1 * M, 256 * M, 1024 * M, 6, 8, 512, 1020, 4096)] // huge caches: the upper bounds
    public void BlockingFollowsTheCaches(long l1, long l2, long l3, int mr, int nr, int kc, int mc, int nc)
    {
        var b = GemmBlocking.Derive(new CpuCaches(l1, l2, l3, "test"), mr, nr);
        Assert.Equal(new GemmBlocking(kc, mc, nc), b);
    }

    public static TheoryData<long, long, long> Machines => new()
    {
        { 32 * K, 256 * K, 2 * M }, { 32 * K, 512 * K, 4 * M }, { 48 * K, 1 * M, 4 * M }, { 48 * K, 2 * M, 130 * M },
        { 64 * K, 4 * M, 8 * M }, { 128 * K, 16 * M, 16 * M },
    };

    [Theory, MemberData(nameof(Machines))]
    public void BlockingFitsItsCacheLevels(long l1, long l2, long l3)
    {
        var caches = new CpuCaches(l1, l2, l3, "test");
        foreach (var (mr, nr) in new[] { (8, 32), (6, 16), (6, 8), (4, 4) })
        {
            var b = GemmBlocking.Derive(caches, mr, nr);
            var at = $"{caches} tile {mr}x{nr}: {b}";
            Assert.True((mr + nr) * b.KC * 4 <= l1, $"A and B slivers exceed L1d: {at}");
            Assert.True(b.MC * b.KC * 4 <= l2 / 2 || b.MC == mr, $"A block exceeds half of L2: {at}");
            Assert.True(b.KC * b.NC * 4 <= l3 / 2 || b.NC == 8 * nr, $"B panel exceeds half of the L3 share: {at}");
            Assert.True(b.KC % 16 == 0 && b.MC % mr == 0 && b.NC % nr == 0, $"not whole tiles: {at}");
        }
    }

    [Fact]
    public void SysfsCacheDirectoryIsRead()
    {
        var root = Directory.CreateTempSubdirectory("deepgpu-cache-");
        try
        {
            void Index(int i, int level, string type, string size, string cpus)
            {
                var d = Directory.CreateDirectory(Path.Combine(root.FullName, $"index{i}")).FullName;
                File.WriteAllText(Path.Combine(d, "level"), $"{level}\n");
                File.WriteAllText(Path.Combine(d, "type"), $"{type}\n");
                File.WriteAllText(Path.Combine(d, "size"), $"{size}\n");
                File.WriteAllText(Path.Combine(d, "shared_cpu_list"), $"{cpus}\n");
            }
            Index(0, 1, "Data", "48K", "0");
            Index(1, 1, "Instruction", "64K", "0");
            Index(2, 2, "Unified", "2048K", "0");
            Index(3, 3, "Unified", "32M", "0-3,8-11");
            var caches = CpuCaches.FromSysfs(root.FullName);
            Assert.Equal(new CpuCaches(48 * K, 2 * M, 4 * M, "sysfs"), caches);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void CpuidSizeIsWaysTimesPartitionsTimesLineTimesSets()
    {
        // 12 ways, 1 partition, 64-byte lines, 64 sets: a 48 KB L1d; 16 ways × 2048 sets: 2 MB.
        Assert.Equal(48 * K, CpuCaches.CpuidCacheBytes((11 << 22) | (0 << 12) | 63, 63));
        Assert.Equal(2 * M, CpuCaches.CpuidCacheBytes((15 << 22) | (0 << 12) | 63, 2047));
    }

    [Theory]
    [InlineData("48K", 48 * K)]
    [InlineData("2048K", 2 * M)]
    [InlineData("32M", 32 * M)]
    [InlineData("65536", 64 * K)]
    public void SizesParse(string text, long bytes) => Assert.Equal(bytes, CpuCaches.ParseSize(text));

    [Theory]
    [InlineData("0", 1)]
    [InlineData("0-1", 2)]
    [InlineData("0-3,8-11", 8)]
    [InlineData("0,2,4", 3)]
    public void CpuListsCount(string list, int cpus) => Assert.Equal(cpus, CpuCaches.CountCpus(list));

    [Fact]
    public void ThisMachinesCachesArePlausible()
    {
        var caches = CpuCaches.Read();
        if (X86Base.IsSupported || Directory.Exists("/sys/devices/system/cpu/cpu0/cache"))
        {
            Assert.True(caches.Source != "assumed", $"neither sysfs nor CPUID was read: {caches}");
        }
        Assert.True(caches.L1Data is >= 8 * K and <= 1 * M, $"L1d {caches}");
        Assert.True(caches.L2 >= caches.L1Data && caches.L2 <= 256 * M, $"L2 {caches}");
        Assert.True(caches.L3PerCore > 0, $"L3 {caches}");
    }

    [Fact]
    public void FmaPeakIsMeasuredForEverySupportedVectorTier()
    {
        var peaks = FmaPeak.MeasureAll(seconds: 0.002);
        var expected = new[] { CpuTier.Vector512, CpuTier.Vector256, CpuTier.Vector128 }.Where(CpuTiers.IsSupported);
        Assert.Equal(expected, peaks.Select(p => p.Tier));
        Assert.All(peaks, p =>
        {
            Assert.True(double.IsFinite(p.OneCore) && p.OneCore > 0, $"{p}");
            Assert.True(double.IsFinite(p.AllCores) && p.AllCores > 0, $"{p}");
            Assert.Equal(Environment.ProcessorCount, p.Cores);
        });
        Assert.Throws<ArgumentException>(() => FmaPeak.Measure(CpuTier.Scalar));
    }
}
