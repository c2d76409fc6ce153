# The public API of funcnet, listed once. `funcnet/__init__.py` reads this file to load
# each name on first use (lazy_loader.attach_stub); type checkers read it for the types.
from . import recipes as recipes
from ._compile import compile as compile
from ._data import check_data as check_data
from ._errors import FuncnetError as FuncnetError
from ._fit import fit as fit
from ._heads import Head as Head
from ._heads import head as head
from ._inputs import inputs as inputs
from ._merge import merge as merge
from ._merge import merges as merges
from ._model import model as model
from ._plot import plot as plot
from ._presets import Preset as Preset
from ._presets import presets as presets
from ._residual import residual as residual
from ._shared import shared as shared
from ._stack import stack as stack
from ._tasks import Task as Task
from ._tasks import tasks as tasks

__version__: str
__all__: list[str]
