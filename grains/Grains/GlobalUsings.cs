global using Orleans;
global using Orleans.Concurrency;
global using Orleans.Placement;
global using Orleans.Runtime;
