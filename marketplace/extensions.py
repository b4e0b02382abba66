"""Flask extensions, instantiated here and bound to the app in the factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter them on every backend (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# db.session is a scoped_session: a proxy to the current app context's Session. Services take a
# plain sqlalchemy.orm.Session, so callers pass db.session(), the Session itself.
db = SQLAlchemy(model_class=Base)

# Models subclass Model. At run time it is db.Model, which Flask-SQLAlchemy builds from Base's
# body; type checkers cannot subclass an attribute of an instance, so they see Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
api = Api()


def make_sqlite_transactional(engine: Engine) -> None:
    """Make a SAVEPOINT on SQLite sit inside a transaction, as on PostgreSQL.

    Python's sqlite3 driver only begins a transaction before a write, so a SAVEPOINT taken
    before any write ran outside one, and releasing it committed: work a caller later rolled
    back stayed. Beginning the transaction first, only then, keeps the driver's behaviour for
    everything else (reads outside a transaction take no lock another request would wait on).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "savepoint")
    def _begin_before_a_savepoint(connection: Any, _name: str) -> None:
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")
