package contracttest

import "reflect"

// clonePtr returns a deep copy of *v: the store hands out and keeps copies,
// as the DynamoDB store decodes a fresh record on every read, so nothing a
// caller does to a record it holds reaches the stored one. The copy is
// made by reflection so that a field added to a record is copied without
// an edit here.
func clonePtr[T any](v *T) *T {
	out := new(T)
	deepCopy(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

// clone returns a deep copy of v.
func clone[T any](v T) T {
	return *clonePtr(&v)
}

// deepCopy sets dst, which is settable, to a copy of src that shares no
// pointer, slice or map with it. A struct's unexported fields are copied
// as they are (time.Time's location, which is never changed in place).
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src)
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
