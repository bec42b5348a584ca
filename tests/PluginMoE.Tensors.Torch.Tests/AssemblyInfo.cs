// Tests here switch the process-wide default device (torch.set_default_device), so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
