package contract

import (
	"testing"
	"time"
)

func TestDeliveryWait(t *testing.T) {
	tests := []struct {
		d    Delivery
		n    int32
		want time.Duration
	}{
		{Delivery{Backoff: Linear, Delay: time.Second}, 1, time.Second},
		{Delivery{Backoff: Linear, Delay: time.Second}, 3, 3 * time.Second},
		{Delivery{Backoff: Exponential, Delay: time.Second}, 1, 2 * time.Second},
		{Delivery{Backoff: Exponential, Delay: time.Second}, 3, 8 * time.Second},
		{Delivery{Delay: 100 * time.Millisecond}, 2, 400 * time.Millisecond}, // empty is exponential
		{Delivery{Backoff: Exponential, Delay: time.Second}, 12, MaxBackoff}, // 4096 s
		{Delivery{Backoff: Exponential, Delay: time.Second}, 2000, MaxBackoff},
		{Delivery{Backoff: Linear, Delay: time.Minute}, 1 << 30, MaxBackoff},
		{Delivery{Backoff: Linear, Delay: time.Second}, 0, time.Second},
	}
	for _, tt := range tests {
		if got := tt.d.Wait(tt.n); got != tt.want {
			t.Errorf("%+v.Wait(%d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
}
