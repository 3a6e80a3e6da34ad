"""Sign-in throttling, counted in the database so every web worker sees the same failures.

Failed attempts are counted per (account, client address), per client address alone (a looser limit
that stops password spraying across accounts) and per account from every address. Over a limit, an
address is refused only for accounts it has never signed in to: a correct password from an address
that signed in to that account before is slowed down (a growing delay), never refused, so nobody can
lock a user out by failing on purpose, even when every user shares one address behind a proxy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.models import LoginAddress, LoginFailure, User
from hub.timeutil import utcnow

#: the per-address and all-addresses-per-account limits are this many times the per-(account, address) one
ADDRESS_FACTOR = 5
#: the delay a known address gets per attempt over a limit, and its cap (seconds)
DELAY_STEP, MAX_DELAY = 0.5, 5.0


@dataclass(frozen=True)
class Verdict:
    wait: float | None = None  # refused: seconds until another attempt is allowed
    delay: float = 0.0         # allowed, after this many seconds


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:200]


def address_key(address: str | None) -> str:
    return (address or "-")[:64]


class LoginThrottle:
    def __init__(self, limit: int, window_seconds: float = 15 * 60,
                 clock: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = int(limit)
        self.window = timedelta(seconds=window_seconds)
        self.clock = clock
        self.sleep = sleep

    def check(self, email: str, address: str | None) -> Verdict:
        """May this address try this account now, and after what delay?"""
        account, address = account_key(email), address_key(address)
        since = self.clock() - self.window
        recent = LoginFailure.failed_at >= since
        pair_q = select(LoginFailure.failed_at).where(recent, LoginFailure.account == account,
                                                      LoginFailure.address == address)
        address_q = select(LoginFailure.failed_at).where(recent, LoginFailure.address == address)
        account_q = select(LoginFailure.failed_at).where(recent, LoginFailure.account == account)
        counts = db.session.execute(select(*(select(func.count()).select_from(q.subquery()).scalar_subquery()
                                             for q in (pair_q, address_q, account_q)))).one()
        pair, by_address, by_account = counts
        wide_limit = self.limit * ADDRESS_FACTOR
        excess = max(pair - self.limit, by_address - wide_limit, by_account - wide_limit)
        if excess < 0:
            return Verdict()
        over_refusing = pair >= self.limit or by_address >= wide_limit
        if over_refusing and not self._known(account, address):
            waits = [self._wait(pair_q, self.limit) if pair >= self.limit else None,
                     self._wait(address_q, wide_limit) if by_address >= wide_limit else None]
            return Verdict(wait=max(w for w in waits if w is not None))
        return Verdict(delay=min(MAX_DELAY, DELAY_STEP * (excess + 1)))

    def failed(self, email: str, address: str | None) -> None:
        now = self.clock()
        db.session.add(LoginFailure(account=account_key(email), address=address_key(address), failed_at=now))
        # rows older than the window count for nothing: drop them as new ones come
        db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - self.window))
        db.session.commit()

    def succeeded(self, user: User, address: str | None) -> None:
        """Clear this pair's failures and remember the address for this user (the caller commits)."""
        address = address_key(address)
        db.session.execute(delete(LoginFailure).where(LoginFailure.account == account_key(user.email),
                                                      LoginFailure.address == address))
        known = db.session.execute(select(LoginAddress).filter_by(user_id=user.id, address=address)
                                   ).scalar_one_or_none()
        if known is not None:
            known.last_login_at = self.clock()
            return
        try:
            with db.session.begin_nested():  # another worker may add the same pair at the same moment
                db.session.add(LoginAddress(user_id=user.id, address=address, last_login_at=self.clock()))
        except IntegrityError:
            pass

    def _known(self, account: str, address: str) -> bool:
        return db.session.execute(
            select(LoginAddress.id).join(User, User.id == LoginAddress.user_id)
            .where(User.email == account, LoginAddress.address == address)).first() is not None

    def _wait(self, failures, limit: int) -> float:
        """Seconds until fewer than ``limit`` of these failures are inside the window."""
        oldest_counted = db.session.execute(failures.order_by(LoginFailure.failed_at.desc())
                                            .offset(limit - 1).limit(1)).scalar_one()
        return max(1.0, (oldest_counted + self.window - self.clock()).total_seconds())
