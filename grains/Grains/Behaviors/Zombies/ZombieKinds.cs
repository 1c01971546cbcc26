namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Zombie kinds by the name a scenario uses.</summary>
public static class ZombieKinds
{
    private static readonly Dictionary<string, IZombieKind> ByName = new IZombieKind[]
    {
        new SilentAppZombie(), new AppDeadZombie(), new BlackholeZombie(), new HalfCloseZombie(), new SlowReaderZombie(), new ResetZombie(),
    }.ToDictionary(k => k.Name);

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static IZombieKind Get(string name) =>
        ByName.TryGetValue(name, out var kind) ? kind : throw new ArgumentException($"unknown zombie kind '{name}' ({string.Join(", ", Names)})");
}
