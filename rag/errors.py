"""One small error hierarchy; every message tells the user what to do next (in Chinese)."""

import errno

# what the system's errors mean to a user, in Chinese (the system's own text is English)
_OS_REASONS = {
    errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.ENOENT: "文件已不存在",
    errno.EISDIR: "这是一个文件夹", errno.EBUSY: "文件正被其他程序占用", errno.ETXTBSY: "文件正被其他程序占用",
    errno.EIO: "磁盘或网络读取出错", errno.ENAMETOOLONG: "文件名过长", errno.ELOOP: "符号链接循环",
    errno.ENOSPC: "磁盘空间不足", errno.EMFILE: "同时打开的文件过多", errno.ESTALE: "网络文件已失效",
}


def os_reason(exc: OSError) -> str:
    """A system error said in Chinese, with its number for a report ('没有读取权限（errno 13）')."""
    reason = _OS_REASONS.get(exc.errno or -1, "系统错误")
    return f"{reason}（errno {exc.errno}）" if exc.errno else reason


class RagError(Exception):
    """Base class for errors a user can act on."""


class InputError(RagError):
    """A document or a question the product cannot accept."""


class IndexStateError(RagError):
    """The index is missing, corrupt, or built with another embedder."""


class ModelError(RagError):
    """A model file is missing, broken or of the wrong kind."""
