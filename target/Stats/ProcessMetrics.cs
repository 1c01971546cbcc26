using System.Diagnostics;
using System.Globalization;

namespace SimCluster.Target;

/// <summary>Process-level figures for leak checks. RSS comes from /proc where available (cheaper and current).</summary>
internal static class ProcessMetrics
{
    public static TargetProcessStats Read(bool forceGc)
    {
        if (forceGc)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        return new TargetProcessStats
        {
            RssBytes = ReadRss(),
            ManagedHeapBytes = GC.GetTotalMemory(false),
            GcCollections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            ThreadCount = ReadThreadCount(),
        };
    }

    private static long ReadRss()
    {
        try
        {
            if (File.Exists("/proc/self/statm"))
            {
                // statm: size resident shared text lib data dt (in pages)
                var fields = File.ReadAllText("/proc/self/statm").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pages))
                {
                    return pages * Environment.SystemPageSize;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Environment.WorkingSet;
    }

    private static int ReadThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }
}
