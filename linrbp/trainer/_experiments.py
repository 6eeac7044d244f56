EXPERIMENTS = {}
def run_experiments(*a, **k): raise NotImplementedError
