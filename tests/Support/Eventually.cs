namespace SimCluster.Tests.Support;

/// <summary>Polling with generous bounds: the CI box is busy, so nothing here asserts a tight timing.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="within"/> passes; fails with <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static async Task<T> ValueAsync<T>(Func<T> read, Func<T, bool> accept, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (true)
        {
            var value = read();
            if (accept(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what} (last value: {value})");
            await Task.Delay(20);
        }
    }

    /// <summary>Awaits <paramref name="task"/> but fails the test instead of hanging when it does not finish in time.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? within = null)
    {
        try { return await task.WaitAsync(within ?? Patience); }
        catch (TimeoutException) { Assert.Fail($"timed out waiting for: {what}"); throw; }
    }

    public static async Task Within(Task task, string what, TimeSpan? within = null)
    {
        try { await task.WaitAsync(within ?? Patience); }
        catch (TimeoutException) { Assert.Fail($"timed out waiting for: {what}"); throw; }
    }
}
